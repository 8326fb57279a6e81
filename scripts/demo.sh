#!/usr/bin/env bash
# make demo: replay a capture from the repository through the TTL-decrement chain, show what
# went in and what came out, the per-stage counters, and check the output against the
# expectation scapy built. Everything it writes goes to a temporary folder that is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
ORCH=.build/debug/nfv-orch
WORK=$(mktemp -d /tmp/nfv-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "validate the chain"
"$ORCH" validate chains/ttl-decrement.yaml

step "input: chains/captures/mixed-traffic.pcap (first 6 of $(tcpdump -r chains/captures/mixed-traffic.pcap 2>/dev/null | wc -l) packets)"
tcpdump -nn -v -r chains/captures/mixed-traffic.pcap 2>/dev/null | head -12 | cut -c1-120

step "nfv-orch replay chains/ttl-decrement.yaml --out OUT.pcap --trace rx=RX.pcap --expect EXPECTED.pcap"
"$ORCH" replay chains/ttl-decrement.yaml --out "$WORK/out.pcap" --trace "rx=$WORK/rx.pcap" \
  --expect Tests/Fixtures/packets/ttl-expected.pcap

step "output (first 6 packets): every TTL one lower, checksums still valid"
tcpdump -nn -v -r "$WORK/out.pcap" 2>/dev/null | head -12 | cut -c1-120
bad=$(tcpdump -nn -v -r "$WORK/out.pcap" 2>/dev/null | grep -c 'bad cksum' || true)
echo "packets tcpdump reports with a bad checksum: $bad"
echo "trace rx (what entered the chain): $(tcpdump -r "$WORK/rx.pcap" 2>/dev/null | wc -l) packets"

step "the edge firewall on both sides of a LAN: nfv-orch replay chains/edge-firewall.yaml"
"$ORCH" replay chains/edge-firewall.yaml \
  --expect "inside=Tests/Fixtures/packets/firewall-inside-tx-expected.pcap" \
  --expect "outside=Tests/Fixtures/packets/firewall-outside-tx-expected.pcap"
echo "what the firewall sent back to the inside host (RST and ICMP port unreachable among them):"
tcpdump -nn -r chains/captures/firewall-inside-tx.pcap 2>/dev/null | grep -E 'Flags \[R|unreachable' | cut -c1-120

step "the edge router: nfv-orch replay chains/edge-router.yaml"
"$ORCH" replay chains/edge-router.yaml \
  --expect "inside=Tests/Fixtures/packets/router-inside-tx-expected.pcap" \
  --expect "outside=Tests/Fixtures/packets/router-outside-tx-expected.pcap"
echo "ARP, neighbour discovery and ICMP the router sent:"
tcpdump -nn -r chains/captures/router-inside-tx.pcap 2>/dev/null | grep -E 'ARP|ICMP|neighbor' | cut -c1-120
tcpdump -nn -r chains/captures/router-outside-tx.pcap 2>/dev/null | grep -E 'ARP|neighbor' | cut -c1-120
rm -f chains/captures/*-tx.pcap
