#!/usr/bin/env bash
# End-to-end comparison of `keysweep scan` with ripgrep (the speed of light for this work)
# and, when installed, other secret scanners, on one directory tree, in the same run.
# Writes a dated Markdown report to benches/results/.
#
# Usage: benches/e2e-scan.sh [TREE]
#   TREE defaults to the Rust toolchain's bundled docs (~800 MB, 52k files).
# Optional: gitleaks and kingfisher on PATH or in $BENCH_BIN (default /opt/bench/bin).
# Needs: hyperfine, rg, GNU time (/usr/bin/time), python3.
set -euo pipefail
cd "$(dirname "$0")/.."

TREE=${1:-$(ls -d "$HOME"/.rustup/toolchains/*/share/doc 2>/dev/null | sort | head -1)}
[[ -d $TREE ]] || { echo "no tree to scan: $TREE" >&2; exit 2; }
BENCH_BIN=${BENCH_BIN:-/opt/bench/bin}
PATH=$PATH:$BENCH_BIN
RUNS=${RUNS:-5}
for t in hyperfine rg python3 /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "missing: $t (apt-get install hyperfine ripgrep time)" >&2; exit 2; }
done

cargo build --release --locked -q
KS=$PWD/target/release/keysweep
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/empty"
# Other tools read config from the current directory; run them from an empty one.
cd "$WORK/empty"

declare -a NAMES CMDS
add() { NAMES+=("$1"); CMDS+=("$2"); }
add "rg -uuu (2 literals)" "rg -uuu -c -e '-----BEGIN' -e 'AKIA' $TREE"
add "keysweep scan" "$KS scan -q --format jsonl $TREE"
if command -v kingfisher >/dev/null; then
    add "kingfisher $(kingfisher --version | awk '{print $2}')" \
        "kingfisher scan $TREE --no-validate --no-update-check --git-history none -q --format json --output $WORK/kf.json"
fi
if command -v gitleaks >/dev/null && [[ ${SKIP_GITLEAKS:-} != 1 ]]; then
    add "gitleaks $(gitleaks version)" \
        "gitleaks dir $TREE --no-banner --log-level error --report-format json --report-path $WORK/gl.json --exit-code 0"
fi

args=()
for i in "${!NAMES[@]}"; do args+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
# Warm the page cache, then time.
rg -uuu -c AKIA "$TREE" >/dev/null || true
hyperfine -N --warmup 1 --runs "$RUNS" --ignore-failure --export-json "$WORK/t.json" "${args[@]}" >&2

: >"$WORK/rss"
for i in "${!NAMES[@]}"; do
    /usr/bin/time -f "%M" -o "$WORK/one" bash -c "${CMDS[$i]} >/dev/null 2>&1" || true
    # GNU time prefixes "Command exited with non-zero status N" when a tool finds something.
    tail -1 "$WORK/one" >>"$WORK/rss"
done
hyperfine -N --warmup 20 --runs 300 --export-json "$WORK/startup.json" "$KS scan -q $WORK/empty" >&2

files=$(find "$TREE" -type f | wc -l)
bytes=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
found=$("$KS" scan -q --format jsonl "$TREE" | wc -l || true)

cd - >/dev/null
mkdir -p benches/results
OUT=benches/results/$(date +%F)-scan.md
python3 - "$WORK" "$OUT" "$TREE" "$files" "$bytes" "$found" <<'PY'
import json, sys, platform, subprocess, datetime
work, out, tree, files, nbytes, found = sys.argv[1:]
t = json.load(open(f"{work}/t.json"))["results"]
rss = [int(x) for x in open(f"{work}/rss").read().split()]
st = json.load(open(f"{work}/startup.json"))["results"][0]
rg = t[0]["mean"]
def describe(tree):
    # Named as anyone could find it again, never by where it sits on this machine.
    parts = tree.rstrip("/").split("/")
    if "toolchains" in parts and tree.rstrip("/").endswith("share/doc"):
        return f"the bundled documentation of the Rust toolchain {parts[parts.index('toolchains') + 1]}"
    return f"`{parts[-1]}`"
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
L = [f"# keysweep scan: end-to-end, {datetime.date.today()}", "",
     f"Machine: {nproc} cores ({cpu}), {platform.system()} {platform.release()}.",
     f"Tree: {describe(tree)}: {int(files):,} files, {int(nbytes)/2**20:,.0f} MiB; warm page cache.",
     f"keysweep findings on this tree: {found}.", "",
     "Command: `benches/e2e-scan.sh` (hyperfine, mean of runs after one warm-up; peak RSS from GNU time).", "",
     "| tool | mean | σ | min | × ripgrep | peak RSS |", "|---|---|---|---|---|---|"]
for r, m in zip(t, rss):
    L.append(f"| {r['command']} | {r['mean']:.3f} s | {r['stddev']:.3f} | {r['min']:.3f} s | {r['mean']/rg:.2f} | {m/1024:.1f} MiB |")
L += ["", f"Start-up, `keysweep scan` of an empty directory: {st['mean']*1000:.2f} ms mean, {st['median']*1000:.2f} ms median, {st['min']*1000:.2f} ms min ({len(st['times'])} runs).", ""]
open(out, "w").write("\n".join(L))
print(open(out).read())
PY
