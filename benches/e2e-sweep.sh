#!/usr/bin/env bash
# `keysweep sweep` against `keysweep scan` of the same home, in the same run: the sweep's
# own costs (default excludes, repository detection, archive checks, the digest, the
# progress counters) must stay within 1.3× the plain scan. ripgrep is the reference.
# Writes a dated Markdown report to benches/results/.
#
# Usage: benches/e2e-sweep.sh [DOCS]
#   Builds a home of ~100k files from two hard-linked copies of DOCS (default: the Rust
#   toolchain's bundled docs, 52k files): Documents/ and Downloads/, plus a .ssh and .aws.
# Needs: hyperfine, rg, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCS=${1:-$(ls -d "$HOME"/.rustup/toolchains/*/share/doc 2>/dev/null | sort | head -1)}
[[ -d $DOCS ]] || { echo "no docs tree: $DOCS" >&2; exit 2; }
RUNS=${RUNS:-5}
for t in hyperfine rg python3; do
    command -v "$t" >/dev/null || { echo "missing: $t (apt-get install hyperfine ripgrep)" >&2; exit 2; }
done

cargo build --release --locked -q
KS=$PWD/target/release/keysweep
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
H=$WORK/home
mkdir -p "$H/.ssh" "$H/.aws"
cp -al "$DOCS" "$H/Documents"
cp -al "$DOCS" "$H/Downloads"
cp tests/fixtures/keys/openssh_ed25519 "$H/.ssh/id_ed25519"
chmod 600 "$H/.ssh/id_ed25519"
cp tests/fixtures/keys/pem_rsa "$H/Downloads/old.pem"

declare -a NAMES CMDS
add() { NAMES+=("$1"); CMDS+=("$2"); }
add "rg -uuu (2 literals)" "rg -uuu -c -e '-----BEGIN' -e 'AKIA' $H"
add "keysweep scan" "$KS scan -q --format jsonl $H"
add "keysweep sweep" "$KS sweep -q --format jsonl --home $H"
add "keysweep sweep --no-archives --no-history" "$KS sweep -q --format jsonl --no-archives --no-history --home $H"

args=()
for i in "${!NAMES[@]}"; do args+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
rg -uuu -c AKIA "$H" >/dev/null || true
hyperfine -N --warmup 1 --runs "$RUNS" --ignore-failure --export-json "$WORK/t.json" "${args[@]}" >&2

files=$(find "$H" -type f | wc -l)
bytes=$(find "$H" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
mkdir -p benches/results
OUT=benches/results/$(date +%F)-sweep.md
python3 - "$WORK" "$OUT" "$files" "$bytes" <<'PY'
import json, sys, platform, subprocess, datetime
work, out, files, nbytes = sys.argv[1:]
t = json.load(open(f"{work}/t.json"))["results"]
rg, scan = t[0]["mean"], t[1]["mean"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
L = [f"# keysweep sweep: end-to-end, {datetime.date.today()}", "",
     f"Machine: {nproc} cores ({cpu}), {platform.system()} {platform.release()}.",
     f"Home: two hard-linked copies of the Rust docs plus a key in .ssh and one in Downloads: {int(files):,} files, {int(nbytes)/2**20:,.0f} MiB; warm page cache.", "",
     "Command: `benches/e2e-sweep.sh` (hyperfine, mean of runs after one warm-up). Target: sweep ≤ 1.3× scan.", "",
     "| command | mean | σ | min | × scan | × ripgrep |", "|---|---|---|---|---|---|"]
for r in t:
    L.append(f"| {r['command']} | {r['mean']:.3f} s | {r['stddev']:.3f} | {r['min']:.3f} s | {r['mean']/scan:.2f} | {r['mean']/rg:.2f} |")
L.append("")
open(out, "w").write("\n".join(L))
print(open(out).read())
PY
