#!/usr/bin/env bash
# How long `nfv-orch replay --expect` takes to compare a long capture: PACKETS (default
# 1,500,000) UDP packets of many flows between one pair of hosts (ports vary, as real
# traffic's do) replayed through chains/ttl-decrement.yaml, then compared with an expected
# capture that lacks one packet and has one changed (so the comparison must find both and
# stay in step). Prints the replay time, the comparison time and what it reported.
#   bench/compare-captures.sh [PACKETS]        (uses .build/release/nfv-orch; builds it)
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${1:-1500000}
swift build -c release --product nfv-orch >/dev/null
WORK=$(mktemp -d /tmp/nfv-compare.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK/in.pcap" "$PACKETS" <<'PY'
import struct, sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    for n in range(count):
        sport, dport = 1024 + n % 60000, 53 + (n // 60000) % 1000
        payload = struct.pack("!I", n) + bytes(14)
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        words = struct.unpack("!10H", header)
        total = sum(words); total = (total & 0xFFFF) + (total >> 16); total = (total & 0xFFFF) + (total >> 16)
        header = header[:10] + struct.pack("!H", ~total & 0xFFFF) + header[12:]
        frame = eth + header + udp
        out.write(struct.pack("<IIII", n // 1000000, n % 1000000, len(frame), len(frame)) + frame)
PY
ORCH=.build/release/nfv-orch
start=$(date +%s.%N)
"$ORCH" replay chains/ttl-decrement.yaml --in "$WORK/in.pcap" --out "$WORK/out.pcap" >/dev/null
replayed=$(date +%s.%N)
# The expected capture: the output without its 1000th packet and with the 2000th's TTL changed.
python3 - "$WORK/out.pcap" "$WORK/expected.pcap" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
out = bytearray(data[:24]); offset = 24; n = 0
while offset < len(data):
    length = int.from_bytes(data[offset + 8:offset + 12], "little")
    record = bytearray(data[offset:offset + 16 + length]); offset += 16 + length; n += 1
    if n == 1000: continue
    if n == 2000: record[16 + 14 + 8] ^= 1
    out += record
open(sys.argv[2], "wb").write(out)
PY
compare_start=$(date +%s.%N)
"$ORCH" replay chains/ttl-decrement.yaml --in "$WORK/in.pcap" --out "$WORK/out2.pcap" --expect "$WORK/expected.pcap" >"$WORK/report" 2>/dev/null || true
done=$(date +%s.%N)
replay_only=$(awk -v a="$start" -v b="$replayed" 'BEGIN { printf "%.2f", b - a }')
with_compare=$(awk -v a="$compare_start" -v b="$done" 'BEGIN { printf "%.2f", b - a }')
echo "packets: $PACKETS"
echo "replay alone: $replay_only s; replay with --expect: $with_compare s (comparison: $(awk -v a="$replay_only" -v b="$with_compare" 'BEGIN { printf "%.2f", b - a }') s)"
grep -A3 "^port" "$WORK/report"
