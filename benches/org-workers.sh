#!/usr/bin/env bash
# Times `keysweep org work` with 1, 2 and 4 worker processes against one PostgreSQL store
# over the same repositories: N generated small ones (gen-repos.sh) and the REPOs named
# (bare clones of real repositories), all given as file:// URLs, so that each worker clones
# into its cache on the first run and fetches on the second, as a pod does. For each
# number of workers: a fresh database and cache, `org enqueue`, the workers started
# together and waited for (wall time), then the same again with nothing changed (the
# nightly incremental run). Peak RSS is the largest of the workers', CPU the sum of their
# user and system time (GNU time). The load average is printed beside each row: the
# machine may be shared. Prints Markdown on stdout.
#
# Usage: benches/org-workers.sh [-n N] [-w "1 2 4"] [REPO...]   (KEYSWEEP=path: that binary)
# Needs: git, ssh-keygen, GNU time (/usr/bin/time), PostgreSQL's server programs
# (initdb, pg_ctl, createdb: the distribution's postgresql package).
set -euo pipefail
N=1000
WORKERS="1 2 4"
while getopts n:w: o; do
    case $o in
        n) N=$OPTARG ;;
        w) WORKERS=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
cd "$(dirname "$0")/.."
# KEYSWEEP names another build to time (else this checkout's release build).
if [ -n "${KEYSWEEP:-}" ]; then
    KS=$KEYSWEEP
else
    cargo build --release --locked -q
    KS=$PWD/target/release/keysweep
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || PGBIN=$(dirname "$(command -v initdb)")
WORK=$(mktemp -d)
chmod 755 "$WORK"
# initdb refuses root: the server runs as postgres (or nobody) then.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        local u=postgres
        id -u postgres >/dev/null 2>&1 || u=nobody
        setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"
    else
        "$@"
    fi
}
mkdir "$WORK/pg"
[ "$(id -u)" != 0 ] || chown "$(id -u postgres 2>/dev/null || id -u nobody)" "$WORK/pg"
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -U keysweep --auth=trust -E UTF8 >/dev/null
# On a Unix socket only; PostgreSQL's defaults otherwise (fsync on).
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -o "-k $WORK/pg -c listen_addresses=" \
    -l "$WORK/pg/log" -w start >/dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
HOST=$(printf %s "$WORK/pg" | sed 's|/|%2F|g')

# The repositories, one file:// URL a line.
: >"$WORK/repos.txt"
if [ "$N" -gt 0 ]; then
    benches/gen-repos.sh "$N" "$WORK/src/many"
    for r in "$WORK"/src/many/*; do echo "file://$r"; done >>"$WORK/repos.txt"
fi
for arg in "$@"; do
    name=$(basename "${arg%/.git}" .git)
    [ "$name" != repo ] || name=$(basename "$(dirname "$arg")")
    git clone -q --bare "$arg" "$WORK/src/pub/$name.git"
    echo "file://$WORK/src/pub/$name.git" >>"$WORK/repos.txt"
done
TOTAL=$(wc -l <"$WORK/repos.txt")

# `run W DB CACHE LABEL`: W workers together; one Markdown row.
run() {
    local w=$1 db=$2 cache=$3 label=$4 url="postgres://keysweep@$HOST/$2"
    "$KS" org enqueue --list "$WORK/repos.txt" --store "$url" --quiet
    local load t0 t1 i
    load=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(date +%s.%N)
    for i in $(seq 1 "$w"); do
        /usr/bin/time -f "%e %M %U %S" -o "$WORK/t.$i" \
            "$KS" org work --store "$url" --cache "$cache" --format jsonl \
            >/dev/null 2>"$WORK/err.$i" &
    done
    wait || true
    t1=$(date +%s.%N)
    local peak=0 cpu=0 recorded=0 scanned=0 unchanged=0 failed=0 line nums
    for i in $(seq 1 "$w"); do
        read -r _ kb u s < <(tail -1 "$WORK/t.$i")
        ((kb > peak)) && peak=$kb
        cpu=$(echo "$cpu + $u + $s" | bc)
        line=$(grep -h 'blobs listed' "$WORK/err.$i" || true)
        # "N repositories (S scanned, U unchanged, F failed)"
        read -r nums < <(echo "$line" | sed -E 's/^keysweep org: ([0-9]+) repositories \(([0-9]+) scanned, ([0-9]+) unchanged, ([0-9]+) failed.*/\1 \2 \3 \4/')
        if [ -n "$line" ]; then
            set -- $nums
            recorded=$((recorded + $1)) scanned=$((scanned + $2)) unchanged=$((unchanged + $3)) failed=$((failed + $4))
        fi
    done
    local wall
    wall=$(echo "$t1 - $t0" | bc)
    printf '| %s | %s | %.2f s | %s MB | %.1f s | %s (%s scanned, %s unchanged, %s failed) | %.0f | %s→%s |\n' \
        "$w" "$label" "$wall" "$((peak / 1024))" "$cpu" "$recorded" "$scanned" "$unchanged" "$failed" \
        "$(echo "$recorded * 3600 / $wall" | bc -l)" "$load" "$(cut -d' ' -f1 /proc/loadavg)"
}

echo "$TOTAL repositories ($N generated, $# named)"
echo
echo "| workers | run | wall | peak RSS (largest worker) | CPU (all workers) | repositories recorded | per hour | load avg before→after |"
echo "|---|---|---|---|---|---|---|---|"
for w in $WORKERS; do
    as_pg "$PGBIN/createdb" -h "$WORK/pg" -U keysweep "w$w"
    run "$w" "w$w" "$WORK/cache-$w" "first (clone + scan)"
    # The slowest repositories of the first run (clone and scan, as recorded), before the
    # second run overwrites their times.
    as_pg "$PGBIN/psql" -h "$WORK/pg" -U keysweep -d "w$w" -At -F ' ' -c \
        "SELECT name, duration_ms FROM repositories ORDER BY duration_ms DESC LIMIT 5" \
        >"$WORK/slowest.$w"
    run "$w" "w$w" "$WORK/cache-$w" "again, nothing changed (fetch)"
done
echo
echo "Slowest repositories of each first run (clone + scan, ms):"
echo
for w in $WORKERS; do
    echo "- $w worker(s): $(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}' "$WORK/slowest.$w")"
done
