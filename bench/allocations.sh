#!/usr/bin/env bash
# Cross-checks nfv-bench's own allocation count with an independent counter: valgrind's
# memcheck reports "total heap usage: N allocs" for the whole process. Two runs that differ
# only in packet count must report the same number of allocations if none happen per batch.
# Usage: bench/allocations.sh [extra nfv-bench options...]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product nfv-bench >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
BIN="$WORK/nfv-bench"
objcopy --strip-debug .build/release/nfv-bench "$BIN"   # valgrind 3.19 cannot read swiftc's DWARF

allocs() {  # somalloc=NONE: memcheck replaces malloc in the executable too (nfv-bench interposes it)
  valgrind --tool=memcheck --soname-synonyms=somalloc=NONE "$BIN" --packets "$1" --warmup 0 "${@:2}" 2>&1 >/dev/null \
    | awk '/total heap usage:/ {gsub(",", "", $5); print $5}'
}
small=$(allocs 100000 "$@")
large=$(allocs 400000 "$@")
echo "memcheck heap allocations: $small with 100000 packets, $large with 400000 packets"
echo "allocations per batch (difference / 1172 extra batches): $(awk -v a="$small" -v b="$large" 'BEGIN {printf "%.3f", (b - a) / 1172}')"
[ "$small" = "$large" ]
