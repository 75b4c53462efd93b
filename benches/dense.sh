#!/usr/bin/env bash
# Keyword-dense inputs against ordinary source text (issue 14's linear bound).
#
#   benches/dense.sh DIR [KEYSWEEP...]
#
# Writes 10,000,000-byte inputs into DIR (once), then runs `KEYSWEEP scan -q FILE` for
# each binary and input, interleaved (one run of each in turn, 20 rounds), and prints the
# median and minimum CPU time (user + system) and each input's ratio to source text for
# the same binary. CPU time rather than wall time: on a shared machine it is the steadier
# figure. Inputs:
#   source.rs         Rust sources from cargo's registry holding no BEGIN or AKIA
#   rsa               `-----BEGIN RSA PRIVATE KEY-----` lines
#   rsa-numbered      the same, each line followed by a different hex number
#   akia-run          `AKIA` repeated
#   akia-lines        `AKIA` lines
#   akia-placeholder  `AKIA` and sixteen of five letters (base-5 count), a line each
#   akia-rand3        `AKIA`, 0-3 random base32 characters, one of ` \n:=`, repeated
set -euo pipefail
dir=${1:?usage: benches/dense.sh DIR [KEYSWEEP...]}
shift
[ $# -gt 0 ] || set -- target/release/keysweep
mkdir -p "$dir"
python3 - "$dir" <<'PY'
import os, random, sys
out, size = sys.argv[1], 10_000_000
def w(name, data):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        open(path, 'wb').write(bytes(data[:size]))
src = bytearray()
reg = os.path.join(os.environ.get('CARGO_HOME', os.path.expanduser('~/.cargo')), 'registry/src')
for root, dirs, files in sorted(os.walk(reg)):
    dirs.sort()
    for f in sorted(files):
        if f.endswith('.rs') and len(src) < size:
            b = open(os.path.join(root, f), 'rb').read()
            if b'BEGIN' not in b and b'AKIA' not in b:
                src += b
w('source.rs', src)
rep = lambda unit: unit * (size // len(unit) + 1)
w('rsa', rep(b'-----BEGIN RSA PRIVATE KEY-----\n'))
w('akia-run', rep(b'AKIA'))
w('akia-lines', rep(b'AKIA\n'))
ids, i = bytearray(), 0
while len(ids) < size:
    n, s = i, bytearray()
    for _ in range(16):
        s.append(b'ABCDE'[n % 5]); n //= 5
    ids += b'AKIA' + s + b'\n'; i += 1
w('akia-placeholder', ids)
rng, b32, r3 = random.Random(7), b'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', bytearray()
while len(r3) < size:
    r3 += b'AKIA' + bytes(rng.choice(b32) for _ in range(rng.randrange(4))) + bytes([rng.choice(b' \n:=')])
w('akia-rand3', r3)
num, i = bytearray(), 0
while len(num) < size:
    num += b'-----BEGIN RSA PRIVATE KEY-----%x\n' % i; i += 1
w('rsa-numbered', num)
PY
python3 - "$dir" "$@" <<'PY'
import os, statistics, sys
d, bins = sys.argv[1], sys.argv[2:]
inputs = ['source.rs', 'rsa', 'rsa-numbered', 'akia-run', 'akia-lines', 'akia-placeholder', 'akia-rand3']
cpu = {(b, i): [] for b in bins for i in inputs}
for _ in range(20):
    for i in inputs:
        for b in bins:
            pid = os.fork()
            if pid == 0:
                fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1); os.dup2(fd, 2)
                os.execv(b, [b, 'scan', '-q', os.path.join(d, i)])
            _, _, ru = os.wait4(pid, 0)
            cpu[(b, i)].append((ru.ru_utime + ru.ru_stime) * 1000)
print('| input | ' + ' | '.join(f'{os.path.basename(b)}: median CPU (min) | × source' for b in bins) + ' |')
print('|---|' + '---|---|' * len(bins))
for i in inputs:
    row = []
    for b in bins:
        v, s = cpu[(b, i)], cpu[(b, 'source.rs')]
        row.append(f'{statistics.median(v):.1f} ms ({min(v):.1f}) | {statistics.median(v) / statistics.median(s):.1f}')
    print(f'| {i} | ' + ' | '.join(row) + ' |')
PY
