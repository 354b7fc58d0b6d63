#!/bin/sh
# test/unit/make-tar-fixtures.sh OUTDIR: the archives that test/unit/test_ustar.c mounts,
# made by the host's GNU tar in its three formats:
#   OUTDIR/ustar.tar  --format=ustar  (POSIX 1988: long paths split into prefix + name)
#   OUTDIR/gnu.tar    --format=gnu    (tar's default: 'L' records for long names)
#   OUTDIR/pax.tar    --format=pax    (POSIX 2001: an 'x' record before every member)
# The tree is the same in all three, except that the gnu and pax archives also hold a path of
# 300 characters, which ustar cannot store. Every file's contents are "mote-tar\n" repeated
# (cut to the file's size), so the test can check any byte without a copy of the file.
set -eu
mkdir -p "$1"
out=$(cd "$1" && pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

pattern() { yes mote-tar | head -c "$1"; }

cd "$tree"
mkdir -p sizes dir/sub emptydir
: >empty
for n in 511 512 513 10000; do pattern "$n" >"sizes/$n"; done
pattern 100 >dir/sub/deep.txt
ln -s sizes/512 link
ln sizes/511 hard
# 185 characters: too long for the 100-byte name field, fits ustar's prefix + name.
long_dir=long/$(printf 'd%.0s' $(seq 90))
mkdir -p "$long_dir"
pattern 1234 >"$long_dir/$(printf 'f%.0s' $(seq 90))"
# Times: everything at 1700000000, one file at 1234567890.
find . -exec touch -h -d @1700000000 {} +
touch -d @1234567890 sizes/513

common="--sort=name --owner=0 --group=0 --numeric-owner"
# shellcheck disable=SC2086
tar --format=ustar $common -cf "$out/ustar.tar" .
# 300 characters of path: only GNU long names and pax can hold it.
very=verylong/$(printf 'v%.0s' $(seq 150))/$(printf 'w%.0s' $(seq 140))
mkdir -p "$(dirname "$very")"
pattern 3000 >"$very"
find verylong -exec touch -h -d @1700000000 {} +
# shellcheck disable=SC2086
tar --format=gnu $common -cf "$out/gnu.tar" .
# shellcheck disable=SC2086
tar --format=pax $common -cf "$out/pax.tar" .
