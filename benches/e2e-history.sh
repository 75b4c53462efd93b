#!/usr/bin/env bash
# End-to-end comparison of `keysweep history` with a one-thread dump of every object
# (`git cat-file --batch-all-objects --batch --unordered`, the speed of the object store)
# and, when installed, other scanners' full-history scans, in the same run, with peak
# memory. Writes a dated Markdown report to benches/results/.
#
# Usage: benches/e2e-history.sh REPO...   (bare or working repositories)
# Optional: gitleaks and kingfisher on PATH or in $BENCH_BIN (default /opt/bench/bin);
#   SKIP_OTHERS=1 to time only cat-file and keysweep. RUNS (default 3).
# Needs: hyperfine, git, GNU time (/usr/bin/time), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
(($#)) || { echo "usage: $0 REPO..." >&2; exit 2; }
BENCH_BIN=${BENCH_BIN:-/opt/bench/bin}
PATH=$PATH:$BENCH_BIN
RUNS=${RUNS:-3}
cargo build --release --locked -q
KS=$PWD/target/release/keysweep
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p benches/results
OUT=${OUT:-benches/results/$(date +%F)-history.md}
[[ -s $OUT && ${APPEND:-} == 1 ]] || {
    echo "# keysweep history: end-to-end, $(date +%F)"
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(uname -sr); warm page cache."
    echo "Command: \`benches/e2e-history.sh REPO...\` on the repositories below (hyperfine mean after one warm-up; peak RSS from GNU time)."
    echo
} >"$OUT"
for REPO in "$@"; do
    REPO=$(cd "$REPO" && pwd)
    # Named by its origin (a public repository's URL), never by where it sits here.
    name=$(git -C "$REPO" config --get remote.origin.url || basename "$REPO")
    objs=$(git -C "$REPO" count-objects -v | awk '/in-pack/ {print $2}')
    commits=$(git -C "$REPO" rev-list --all --count)
    blob_bytes=$(git -C "$REPO" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
        awk '$1=="blob" {n++; s+=$2} END {printf "%d blobs, %.2f GB", n, s/1e9}')
    names=(); cmds=()
    names+=("git cat-file --batch-all-objects (1 thread)")
    cmds+=("git -C $REPO cat-file --batch-all-objects --batch --unordered")
    names+=("keysweep history")
    cmds+=("$KS history -q --format jsonl $REPO")
    if [[ ${SKIP_OTHERS:-} != 1 ]]; then
        if command -v gitleaks >/dev/null; then
            names+=("gitleaks $(gitleaks version) git")
            cmds+=("gitleaks git $REPO --no-banner --log-level error --report-format json --report-path $WORK/gl.json --exit-code 0")
        fi
        if command -v kingfisher >/dev/null; then
            names+=("kingfisher $(kingfisher --version | awk '{print $2}')")
            cmds+=("kingfisher scan $REPO --no-validate --no-update-check -q --format json --output $WORK/kf.json")
        fi
    fi
    args=()
    for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
    (cd "$WORK" && hyperfine -N --warmup 1 --runs "$RUNS" --ignore-failure --output=null \
        --export-json "$WORK/t.json" "${args[@]}" >&2)
    : >"$WORK/rss"
    for i in "${!names[@]}"; do
        (cd "$WORK" && /usr/bin/time -f "%M" -o "$WORK/one" bash -c "${cmds[$i]} >/dev/null 2>&1") || true
        # GNU time prefixes "Command exited with non-zero status N" when a tool finds something.
    tail -1 "$WORK/one" >>"$WORK/rss"
    done
    found=$("$KS" history -q --format jsonl "$REPO" | wc -l || true)
    python3 - "$WORK" "$name" "$objs" "$commits" "$blob_bytes" "$found" >>"$OUT" <<'PY'
import json, sys
work, name, objs, commits, blobs, found = sys.argv[1:]
t = json.load(open(f"{work}/t.json"))["results"]
rss = [int(x) for x in open(f"{work}/rss").read().split()]
base = t[0]["mean"]
print(f"## {name}\n\n{int(objs):,} objects, {int(commits):,} commits, {blobs}; keysweep findings: {found}.\n")
print("| tool | mean | σ | × cat-file | peak RSS |\n|---|---|---|---|---|")
for r, m in zip(t, rss):
    print(f"| {r['command']} | {r['mean']:.2f} s | {r['stddev']:.2f} | {r['mean']/base:.2f} | {m/1024:.0f} MiB |")
print()
PY
done
cat "$OUT"
