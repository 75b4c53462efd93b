#!/usr/bin/env bash
# Peak memory and time of `keysweep history` and a first `keysweep org scan`, two builds
# side by side (BEFORE and AFTER binaries), rounds interleaved so that a busy machine
# weighs on both alike; each beside `git cat-file --batch-all-objects --batch
# --unordered` (the object store's speed) in the same round, so ratios to it can be
# compared across rounds.
#
# Usage: BEFORE=bin AFTER=bin benches/org-memory.sh REPO...   (RUNS rounds, default 3)
# Prints a Markdown table per repository: median wall time, median user time, peak RSS.
# Needs: git, GNU time (/usr/bin/time).
set -euo pipefail
(($#)) || { echo "usage: BEFORE=bin AFTER=bin $0 REPO..." >&2; exit 2; }
: "${BEFORE:?}" "${AFTER:?}"
RUNS=${RUNS:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
measure() { # label cmd... -> appends "label wall user maxrss_kb" to $WORK/m
    local label=$1; shift
    /usr/bin/time -f "%e %U %M" -o "$WORK/t" "$@" >/dev/null 2>&1 || true
    echo "$label $(cat "$WORK/t" | tail -1)" >>"$WORK/m"
}
for REPO in "$@"; do
    REPO=$(cd "$REPO" && pwd)
    name=$(git -C "$REPO" config --get remote.origin.url || basename "$REPO")
    : >"$WORK/m"
    for ((i = 0; i < RUNS; i++)); do
        measure cat-file git -C "$REPO" cat-file --batch-all-objects --batch --unordered
        for b in before after; do
            bin=BEFORE; [[ $b == after ]] && bin=AFTER
            measure "history-$b" "${!bin}" history "$REPO" --quiet --format json
            rm -rf "$WORK/store"*
            measure "org-$b" "${!bin}" org scan "$REPO" --store "$WORK/store.db" --quiet --format json
        done
    done
    echo "### $name ($RUNS rounds)"
    echo
    echo "| command | build | wall (median) | user (median) | × cat-file wall | peak RSS (max) |"
    echo "|---|---|---|---|---|---|"
    python3 - "$WORK/m" <<'PY'
import sys, statistics as st
rows = {}
for l in open(sys.argv[1]):
    k, w, u, m = l.split()
    rows.setdefault(k, []).append((float(w), float(u), int(m)))
cat = st.median(w for w, _, _ in rows["cat-file"])
for k in ["cat-file", "history-before", "history-after", "org-before", "org-after"]:
    r = rows[k]
    w = st.median(x[0] for x in r); u = st.median(x[1] for x in r); m = max(x[2] for x in r)
    cmd, _, build = k.partition("-")
    if cmd == "cat":
        cmd, build = "git cat-file --batch-all-objects", "-"
    elif cmd == "org":
        cmd = "org scan (first)"
    print(f"| {cmd} | {build} | {w:.2f} s | {u:.2f} s | {w / cat:.2f} | {m / 1024:.0f} MB |")
PY
    echo
done
