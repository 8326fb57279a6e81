#!/usr/bin/env bash
# make demo: first live, then replay.
# Live: nfv-dataplane runs the edge firewall between two namespaces it creates (a client on
# the inside TAP, a server on the outside TAP); real ping, an HTTP transfer of 10 MB checked by
# SHA-256, a rejected and a dropped connection, a blocked ping from outside; then the
# counters, and everything is removed again (also on Ctrl-C).
# Replay: captures from the repository through the TTL, firewall and router chains, checked
# against scapy's expectations. Everything written goes to a temporary folder that is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
ORCH=.build/debug/nfv-orch
DATAPLANE=.build/debug/nfv-dataplane
WORK=$(mktemp -d /tmp/nfv-demo.XXXXXX)
DP_PID=
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  if [ -n "$DP_PID" ] && kill -0 "$DP_PID" 2>/dev/null; then kill -INT "$DP_PID"; wait "$DP_PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "live: $DATAPLANE chains/live-firewall.yaml (client and server namespaces, edge firewall between)"
"$DATAPLANE" chains/live-firewall.yaml --ready-file "$WORK/ready" >"$WORK/dataplane.log" 2>&1 &
DP_PID=$!
for _ in $(seq 100); do [ -e "$WORK/ready" ] || ! kill -0 "$DP_PID" 2>/dev/null && break; sleep 0.1; done
[ -e "$WORK/ready" ] || { cat "$WORK/dataplane.log"; echo "the data plane did not come up" >&2; exit 1; }
cat "$WORK/dataplane.log"
mkdir "$WORK/www"
head -c 10000000 /dev/urandom >"$WORK/www/blob"
(cd "$WORK/www" && exec ip netns exec nfv-server python3 -m http.server 8080 --bind 10.99.0.2) >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do ip netns exec nfv-client curl -s -o /dev/null -m 1 http://10.99.0.2:8080/ && break; sleep 0.2; done

echo; echo "\$ ip netns exec nfv-client ping -c 3 10.99.0.2"
ip netns exec nfv-client ping -c 3 -i 0.2 -W 2 10.99.0.2
echo; echo "\$ ip netns exec nfv-client curl http://10.99.0.2:8080/blob   (10 MB through the firewall)"
ip netns exec nfv-client curl -sS -m 30 -o "$WORK/received" -w 'HTTP %{http_code}, %{size_download} bytes, %{speed_download} bytes/s\n' \
  http://10.99.0.2:8080/blob
sent=$(sha256sum <"$WORK/www/blob" | cut -d' ' -f1)
got=$(sha256sum <"$WORK/received" | cut -d' ' -f1)
echo "sha256 sent $sent"; echo "sha256 got  $got"
[ "$sent" = "$got" ] || { echo "the transfer was corrupted" >&2; exit 1; }
echo; echo "\$ connect to port 25 (the firewall rejects SMTP with a TCP reset)"
ip netns exec nfv-client timeout 3 bash -c 'exec 3<>/dev/tcp/10.99.0.2/25' 2>&1 | sed 's/^/  /' || true
echo; echo "\$ connect to port 23 (the firewall drops telnet: no answer, gives up after 2 s)"
ip netns exec nfv-client timeout 2 bash -c 'exec 3<>/dev/tcp/10.99.0.2/23' 2>&1 || echo "  timed out"
echo; echo "\$ ip netns exec nfv-server ping -c 1 10.99.0.1   (from outside: not allowed)"
ip netns exec nfv-server ping -c 1 -W 1 10.99.0.1 | tail -2 || true
kill "$SERVER_PID"; SERVER_PID=
kill -INT "$DP_PID"; wait "$DP_PID"; DP_PID=
echo; echo "the data plane's counters after SIGINT:"
sed -n '/^port inside (/,$p' "$WORK/dataplane.log"
echo "namespaces left: $(ip netns list | grep -c nfv- || true), TAPs left: $(ip link show | grep -c 'nfv-in0\|nfv-out0' || true)"

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
