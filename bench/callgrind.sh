#!/usr/bin/env bash
# Instructions per packet of nfv-bench under callgrind (repeatable on noisy machines).
#
# Runs the same workload twice with different packet counts and divides the difference of the
# instruction totals by the difference of the packet counts, so start-up cost cancels out.
# Prints two figures:
#   whole program  - generator (template copy into pool buffers) + chain + sink
#   chain runner   - only inside Chain.run: stages, runner bookkeeping and compaction
#   stage          - with STAGE=SYMBOL-PATTERN, only inside that stage's process function
#                    (e.g. STAGE=FirewallStage), to separate a VNF from the parse stage;
#                    STAGE=04LoadB5Stage for the load balancer (see the mangling note below)
# Usage: [STAGE=Name] bench/callgrind.sh [extra nfv-bench options...]   (e.g. --size 512 --flows 64)
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${SMALL:-200000}
LARGE=${LARGE:-1200000}
swift build -c release --product nfv-bench >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
# valgrind 3.19 cannot read the DWARF that swiftc emits ("Possibly corrupted debuginfo"):
# measure a copy without debug info; the symbol table stays, so functions keep their names.
BIN="$WORK/nfv-bench"
objcopy --strip-debug .build/release/nfv-bench "$BIN"

# The mangled name of NFVPipeline.Chain.run(_:) (callgrind sees Swift symbols mangled).
RUN_SYMBOL=$(nm "$BIN" | awk '$2 == "T" && $3 ~ /^\$s11NFVPipeline5ChainC3runyy/ {print $3}' | head -1)
if [ -z "$RUN_SYMBOL" ]; then
  echo "cannot find Chain.run in $BIN" >&2
  exit 1
fi

total() {  # total instructions of one callgrind run: $1 = packets, $2 = output name, rest = valgrind options
  local packets=$1 name=$2; shift 2
  valgrind --tool=callgrind --callgrind-out-file="$WORK/$name" "$@" \
    "$BIN" --packets "$packets" --warmup 0 "${EXTRA[@]}" >"$WORK/$name.log" 2>&1
  awk '/^summary:/ {print $2}' "$WORK/$name"
}

EXTRA=("$@")
# Tables hash with a per-process random seed; both runs must lay their tables out alike (the
# same cache conflicts), or the difference of their totals is not per-packet work.
export NFV_HASH_SEED=${NFV_HASH_SEED:-1}
whole_small=$(total "$SMALL" whole-small)
whole_large=$(total "$LARGE" whole-large)
chain_small=$(total "$SMALL" chain-small --toggle-collect="$RUN_SYMBOL")
chain_large=$(total "$LARGE" chain-large --toggle-collect="$RUN_SYMBOL")
packets=$((LARGE - SMALL))
if [ -n "${STAGE:-}" ]; then
  # The stage's process(_:emit:) witness, the entry the chain calls once per batch.
  # Prefer the specialised body (local symbol, "Tf" suffix) when the compiler made one: the
  # chain calls it directly and the exported symbol is only a thunk.
  # A name that starts with a digit is taken as already mangled: Swift shortens words repeated
  # from the module name (LoadBalancerStage in NFVLoadBalancer is "04LoadB5Stage").
  case "$STAGE" in [0-9]*) MANGLED="$STAGE" ;; *) MANGLED="${#STAGE}$STAGE" ;; esac
  STAGE_SYMBOL=$(nm "$BIN" | awk -v name="$MANGLED" 'index($3, name "C7process_4emity") && $3 !~ /TW/ {print $3}' \
    | sort -r | awk '/Tf/ {print; found=1; exit} {last=$0} END {if (!found) print last}' | head -1)
  [ -n "$STAGE_SYMBOL" ] || { echo "no process function for stage $STAGE in $BIN" >&2; exit 1; }
  stage_small=$(total "$SMALL" stage-small --toggle-collect="$STAGE_SYMBOL")
  stage_large=$(total "$LARGE" stage-large --toggle-collect="$STAGE_SYMBOL")
fi
echo "workload: $(grep '^workload' "$WORK/whole-large.log" | cut -d' ' -f2-) ${EXTRA[*]}"
echo "chain: $(grep '^chain' "$WORK/whole-large.log" | cut -d' ' -f2-)"
echo "allocations: $(grep '^allocations' "$WORK/whole-large.log" | cut -d' ' -f5-)"
awk -v a="$whole_small" -v b="$whole_large" -v n="$packets" 'BEGIN {printf "whole program: %.1f instructions/packet\n", (b - a) / n}'
awk -v a="$chain_small" -v b="$chain_large" -v n="$packets" -v s="$RUN_SYMBOL" 'BEGIN {printf "chain runner (inside %s): %.1f instructions/packet\n", s, (b - a) / n}'
if [ -n "${STAGE:-}" ]; then
  awk -v a="$stage_small" -v b="$stage_large" -v n="$packets" -v s="$STAGE" 'BEGIN {printf "stage %s (its process function and everything it calls): %.1f instructions/packet\n", s, (b - a) / n}'
fi
