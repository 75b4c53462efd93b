#!/usr/bin/env bash
# Times keysweep's git hooks on a clone of a large repository: a pre-push of five new
# commits on a new branch, and a pre-commit of ten staged files, with hyperfine.
# Writes a dated Markdown report to benches/results/.
#
# Usage: benches/hooks.sh SOURCE_REPO   (e.g. a clone or mirror of git/git)
# Needs: hyperfine, git.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(cd "${1:?usage: $0 SOURCE_REPO}" && pwd)
cargo build --release --locked -q
KS=$PWD/target/release/keysweep
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git clone -q "$SRC" "$WORK/clone"
cd "$WORK/clone"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
base=$(git rev-parse HEAD)
# Five new commits on a new branch, each changing a few files.
git checkout -q -b topic
# awk, not head: head's early exit would kill git with SIGPIPE under pipefail.
files=($(git ls-files '*.c' | awk 'NR <= 50'))
for i in 1 2 3 4 5; do
    for f in "${files[@]:$((i * 5)):5}"; do echo "/* bench $i */" >>"$f"; done
    git commit -qam "bench commit $i"
done
tip=$(git rev-parse HEAD)
printf 'refs/heads/topic %s refs/heads/topic %s\n' "$tip" 0000000000000000000000000000000000000000 >"$WORK/push.txt"
# Sanity: the hook sees exactly these five commits and passes.
"$KS" hook pre-push origin "$SRC" <"$WORK/push.txt"
# Ten staged files.
for f in "${files[@]:30:10}"; do echo "/* staged */" >>"$f"; done
git add -- "${files[@]:30:10}"
"$KS" hook pre-commit

OUT_DIR=$OLDPWD/benches/results
# Shell mode, for the stdin redirect: hyperfine measures the shell's own start-up and
# subtracts it.
hyperfine --warmup 5 --runs 30 --export-json "$WORK/h.json" \
    -n "pre-push (5 new commits, new branch)" "$KS hook pre-push origin $SRC < $WORK/push.txt" \
    -n "pre-commit (10 staged files)" "$KS hook pre-commit" >&2
python3 - "$WORK/h.json" "$(git -C "$SRC" config --get remote.origin.url || basename "$SRC")" "$(git rev-list --all --count)" "$(git ls-files | wc -l)" \
    >"$OUT_DIR/$(date +%F)-hooks.md" <<'PY'
import json, sys, subprocess, datetime
h, src, commits, files = sys.argv[1:]
t = json.load(open(h))["results"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print(f"# keysweep hooks: timing, {datetime.date.today()}\n")
print(f"Machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores ({cpu}).")
print(f"Repository: a clone of `{src}` ({int(commits):,} commits, {int(files):,} files in the work tree).")
print("Command: `benches/hooks.sh` (hyperfine, 30 runs after 5 warm-ups, shell start-up subtracted).\n")
print("| hook | mean | σ | min | max |\n|---|---|---|---|---|")
for r in t:
    print(f"| {r['command']} | {r['mean']*1000:.1f} ms | {r['stddev']*1000:.1f} | {r['min']*1000:.1f} ms | {r['max']*1000:.1f} ms |")
PY
cat "$OUT_DIR/$(date +%F)-hooks.md"
