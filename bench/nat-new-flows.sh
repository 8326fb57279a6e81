#!/usr/bin/env bash
# New NAT flows per second before and after the pool's ports run out.
#
# Every packet of the workload is the first packet of a new flow (a new inside host). One
# pool address has 64,512 ports:
#   before - the first 60,000 new flows: each gets a mapping;
#   after  - new flows once all 64,512 ports are taken (the warm-up took them): each is
#            dropped as nat_ports_exhausted after the allocator finds no port.
# Prints the median of REPEAT runs of each, in thousands of new flows per second, and the
# ratio after/before. BIN=path runs another nfv-bench build (a reference in the same run).
# Usage: [BIN=...] [REPEAT=3] bench/nat-new-flows.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-3}
if [ -z "${BIN:-}" ]; then
  swift build -c release --product nfv-bench >/dev/null
  BIN=.build/release/nfv-bench
fi
CHAIN=bench/workloads/nat-exhaustion-chain.yaml
FLOWS=200000

rate() {  # thousands of packets per second of one run: $1 = warm-up packets, $2 = measured packets
  "$BIN" --chain "$CHAIN" --flows "$FLOWS" --warmup "$1" --packets "$2" \
    | awk '/^time:/ {for (i = 1; i <= NF; i++) if ($(i+1) == "ns/packet") printf "%.1f\n", 1e6 / $i}'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

before=$(for _ in $(seq "$REPEAT"); do rate 0 60000; done | median)
after=$(for _ in $(seq "$REPEAT"); do rate 64512 20000; done | median)
"$BIN" --chain "$CHAIN" --flows "$FLOWS" --warmup 64512 --packets 20000 | grep -E '^  nat:' | sed 's/^ */after, drops: /'
echo "new flows before exhaustion: $before k/s"
echo "new flows after exhaustion:  $after k/s"
awk -v a="$after" -v b="$before" 'BEGIN {printf "after / before: %.1f %%\n", 100 * a / b}'
