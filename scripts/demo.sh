#!/usr/bin/env bash
# make demo: first live, then replay.
# Live: nfv-orch deploys the edge firewall between two namespaces the chain creates (a client
# on the inside TAP, a server on the outside TAP); real ping, an HTTP transfer of 10 MB
# checked by SHA-256, a rejected and a dropped connection, a blocked ping from outside; a
# redeploy that changes nothing, a firewall rule changed on the running chain, a data plane
# killed with SIGKILL and restored by the daemon; then the counters and the event log, and
# everything is removed again (also on Ctrl-C). The demo's daemon keeps its state in a
# temporary folder, so it touches no orchestrator state of the machine.
# Replay: captures from the repository through the TTL, firewall and router chains, checked
# against scapy's expectations. Everything written goes to a temporary folder that is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
ORCH=.build/debug/nfv-orch
WORK=$(mktemp -d /tmp/nfv-demo.XXXXXX)
export NFV_ORCH_STATE_DIR="$WORK/state" NFV_ORCH_SOCKET="$WORK/run/nfv-orch.sock" NFV_ORCH_RUN_DIR="$WORK/run"
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  if [ -e "$NFV_ORCH_STATE_DIR/daemon.pid" ]; then
    "$ORCH" undeploy live-edge-firewall --force >/dev/null 2>&1 || true
    kill "$(cat "$NFV_ORCH_STATE_DIR/daemon.pid")" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { echo; echo "\$ $*"; "$@"; }

# The chain and its firewall configuration, copied so the demo can change a rule.
cp vnf-configs/edge-firewall.yaml "$WORK/firewall.yaml"
sed 's|config: ../vnf-configs/edge-firewall.yaml|config: firewall.yaml|' chains/live-firewall.yaml >"$WORK/live-firewall.yaml"

step "live: nfv-orch deploy live-firewall.yaml (the daemon starts on its own; client and server namespaces, edge firewall between)"
show "$ORCH" plan "$WORK/live-firewall.yaml" || true
show "$ORCH" deploy "$WORK/live-firewall.yaml" --wait
show "$ORCH" list
mkdir "$WORK/www"
head -c 10000000 /dev/urandom >"$WORK/www/blob"
(cd "$WORK/www" && exec ip netns exec nfv-server python3 -m http.server 8080 --bind 10.99.0.2) >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do ip netns exec nfv-client curl -s -o /dev/null -m 1 http://10.99.0.2:8080/ && break; sleep 0.2; done

show ip netns exec nfv-client ping -c 3 -i 0.2 -W 2 10.99.0.2
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

step "deploy the same file again: nothing to do"
show "$ORCH" deploy "$WORK/live-firewall.yaml"

step "close port 8080 to new connections: a rule change, applied to the running chain"
sed -i 's|    - { name: allow-web,|    - { name: close-8080,     match: { proto: tcp, dstPort: 8080 }, action: drop }\n    - { name: allow-web,|' "$WORK/firewall.yaml"
show "$ORCH" plan "$WORK/live-firewall.yaml" || true
show "$ORCH" deploy "$WORK/live-firewall.yaml"
echo; echo "\$ ip netns exec nfv-client curl -m 2 http://10.99.0.2:8080/   (now dropped)"
ip netns exec nfv-client curl -sS -m 2 -o /dev/null http://10.99.0.2:8080/ 2>&1 | sed 's/^/  /' || true

step "kill -9 the data plane: the daemon restarts it"
victim=$("$ORCH" status live-edge-firewall | sed -n 's/.*data plane pid \([0-9]*\).*/\1/p')
echo "\$ kill -9 $victim"
kill -9 "$victim"
start=$(date +%s.%N)
for _ in $(seq 100); do ip netns exec nfv-client ping -c 1 -W 0.2 10.99.0.2 >/dev/null 2>&1 && break; sleep 0.05; done
echo "ping answers again after $(awk -v now="$(date +%s.%N)" -v then="$start" 'BEGIN { printf "%.2f", now - then }') s"
show "$ORCH" status live-edge-firewall
show "$ORCH" stats live-edge-firewall
show "$ORCH" events

step "undeploy: namespaces, TAPs and the data plane go"
kill "$SERVER_PID"; SERVER_PID=
show "$ORCH" undeploy live-edge-firewall
kill "$(cat "$NFV_ORCH_STATE_DIR/daemon.pid")"; rm -f "$NFV_ORCH_STATE_DIR/daemon.pid"
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
