#!/usr/bin/env bash
# Generates N small git repositories under DIR for the org benchmarks: three commits of
# three files each, and in one repository in ten a freshly generated ed25519 key (the same
# key in all of them, as a key copied between projects is). Prints nothing.
#
# Usage: benches/gen-repos.sh N DIR
set -euo pipefail
N=$1 DIR=$2
mkdir -p "$DIR"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
key=$(ssh-keygen -q -t ed25519 -N '' -f "$tmp/k" && cat "$tmp/k")
for i in $(seq 1 "$N"); do
    d="$DIR/r$i"
    git init -q -b main "$d"
    {
        for c in 1 2 3; do
            echo "commit refs/heads/main"
            echo "committer bench <bench@example.invalid> $((1767000000 + c)) +0000"
            echo "data 2"; echo "c$c"
            for f in 1 2 3; do
                body="repo $i commit $c file $f"
                echo "M 644 inline src/f$f.txt"; echo "data ${#body}"; echo "$body"
            done
            if [ "$c" = 3 ] && [ $((i % 10)) = 0 ]; then
                echo "M 644 inline deploy/id_ed25519"; echo "data ${#key}"; echo "$key"
            fi
            echo
        done
    } | git -C "$d" fast-import --quiet
    git -C "$d" checkout -q main
done
