#!/usr/bin/env bash
# Times `keysweep org` on a folder of real repositories and on generated small ones:
# `history` on each repository in turn, then the first `org scan` of the folder, a second
# run with nothing changed, a fork's first scan (its blobs all in the ledger) and a rescan
# after ten new commits in it; then N generated repositories, first run and re-run.
# Wall time and peak memory from GNU time. Prints Markdown on stdout.
#
# Usage: benches/org.sh [-n N] [NAME=]REPO...   (bare or working repositories, named by
#        their folder or NAME; the first is the one forked, e.g. a clone of git/git)
# Needs: git, GNU time (/usr/bin/time).
set -euo pipefail
N=1000
if [ "${1:-}" = -n ]; then N=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-n N] REPO..." >&2; exit 2; }
cd "$(dirname "$0")/.."
cargo build --release --locked -q
KS=$PWD/target/release/keysweep
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/fleet"
for arg in "$@"; do
    r=${arg#*=}
    name=$(basename "${r%/.git}" .git)
    [ "$arg" = "$r" ] || name=${arg%%=*}
    git clone -q --bare "$r" "$WORK/fleet/$name.git"
done
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid

# `measure LABEL CMD...`: one Markdown row, wall seconds and peak RSS.
measure() {
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >"$WORK/out" 2>"$WORK/err" || true
    read -r secs kb < <(tail -1 "$WORK/t")
    local what
    what=$(grep -h 'blobs listed' "$WORK/err" | sed 's/^keysweep org: //' || true)
    printf '| %s | %s s | %s MB | %s |\n' "$label" "$secs" "$((kb / 1024))" "$what"
}

echo "| step | wall | peak RSS | org's summary |"
echo "|---|---|---|---|"
for r in "$WORK"/fleet/*.git; do
    commit=$(git -C "$r" rev-parse --short=12 HEAD)
    measure "\`history\` $(basename "$r" .git) ($commit)" "$KS" history "$r" --quiet --format jsonl
done
measure "\`org scan\`, first run ($# repositories)" "$KS" org scan "$WORK/fleet" --store "$WORK/s.db" --format jsonl
measure "\`org scan\`, nothing changed" "$KS" org scan "$WORK/fleet" --store "$WORK/s.db" --format jsonl
measure "\`org scan\`, nothing changed (again)" "$KS" org scan "$WORK/fleet" --store "$WORK/s.db" --format jsonl
first=$WORK/fleet/$(basename "$(ls -d "$WORK"/fleet/*.git | head -1)")
first_arg=${1}; fname=${first_arg%%=*}; [ "$fname" != "$first_arg" ] && first=$WORK/fleet/$fname.git
mkdir "$WORK/forks"
git clone -q --shared "$first" "$WORK/forks/fork"
measure "a fork of $(basename "$first" .git): first scan (ledger)" "$KS" org scan "$WORK/forks" --store "$WORK/s.db" --format jsonl
for i in 1 2 3 4 5 6 7 8 9 10; do
    echo "bench $i" >>"$WORK/forks/fork/bench-$((i % 3)).txt"
    git -C "$WORK/forks/fork" add -A
    git -C "$WORK/forks/fork" commit -qm "bench $i"
done
measure "the fork after 10 new commits" "$KS" org scan "$WORK/forks" --store "$WORK/s.db" --format jsonl

# N small repositories (see gen-repos.sh).
benches/gen-repos.sh "$N" "$WORK/many"
measure "$N generated repositories, first run" "$KS" org scan "$WORK/many" --store "$WORK/m.db" --format jsonl
measure "$N generated repositories, re-run" "$KS" org scan "$WORK/many" --store "$WORK/m.db" --format jsonl
