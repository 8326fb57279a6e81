#!/usr/bin/env bash
# The pause of `nfv-orch migrate` under load, with the release build: the edge gateway
# (firewall -> router -> NAT, WORKERS workers) between two namespaces, IDLE idle TCP connections
# from the LAN host to one server port (tests/Fixtures/many_connections.py), an iperf3 upload
# through it for the whole run, and MOVES moves two seconds apart. Prints each move's report
# (pause from the old workers stopping to the last held frame leaving, frames held, state
# moved), iperf3's retransmissions and the sender's D-SACKed segments (retransmissions the
# receiver already had: the difference is what was lost), and the idle connections' second
# round (each answers again after the moves).
# Usage: [WORKERS=1] [IDLE=1000] [MOVES=5] bench/migrate-pause.sh   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${WORKERS:-1}
IDLE=${IDLE:-1000}
MOVES=${MOVES:-5}
swift build -c release --product nfv-orch >/dev/null
swift build -c release --product nfv-dataplane >/dev/null
BIN=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
lan=nfvb-mgl$$
wan=nfvb-mgw$$
name=bench-migrate-$$
export NFV_ORCH_STATE_DIR=$work/state NFV_ORCH_SOCKET=$work/orch.sock NFV_ORCH_RUN_DIR=$work/run
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$BIN/nfv-orch" undeploy "$name" --force >/dev/null 2>&1 || true
  [ -f "$work/state/daemon.pid" ] && kill "$(cat "$work/state/daemon.pid")" 2>/dev/null || true
  ip netns del "$lan" 2>/dev/null || true
  ip netns del "$wan" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
ip netns add "$lan"
ip netns add "$wan"
cat > "$work/chain.yaml" <<CHAIN
apiVersion: nfv/v1
kind: Chain
metadata: { name: $name }
spec:
  workers: $WORKERS
  ports:
    - { name: inside, type: tap, ifname: nfvbm$$i, namespace: $lan, address: 10.0.1.10/24, gateway: 10.0.1.1 }
    - { name: outside, type: tap, ifname: nfvbm$$o, namespace: $wan, address: 198.51.100.1/30 }
  stages:
    - { name: fw, vnf: firewall, config: $PWD/vnf-configs/edge-firewall.yaml }
    - { name: router, vnf: router, config: $PWD/vnf-configs/edge-router.yaml }
    - { name: nat, vnf: nat, config: $PWD/vnf-configs/edge-nat.yaml }
CHAIN
"$BIN/nfv-orch" deploy "$work/chain.yaml" --wait >/dev/null
ip netns exec "$wan" python3 Tests/Fixtures/many_connections.py server 198.51.100.1 8001 >/dev/null &
pids+=($!)
sleep 0.5
mkfifo "$work/go"
ip netns exec "$lan" python3 Tests/Fixtures/many_connections.py client 198.51.100.1 8001 "$IDLE" hold \
  <"$work/go" >"$work/idle.log" &
pids+=($!)
exec 3>"$work/go"
until grep -q '^first' "$work/idle.log"; do sleep 0.2; done
echo "idle connections: $(head -1 "$work/idle.log")"
ip netns exec "$wan" iperf3 -s -1 -p 8002 >/dev/null &
pids+=($!)
sleep 0.3
dsack() { ip netns exec "$lan" nstat -az TcpExtTCPDSACKRecvSegs | awk '/TCPDSACKRecvSegs/ {print $2}'; }
before=$(dsack)
seconds=$((2 * MOVES + 2))
ip netns exec "$lan" iperf3 -c 198.51.100.1 -p 8002 -t "$seconds" >"$work/iperf.log" &
iperf=$!
pids+=($iperf)
for _ in $(seq "$MOVES"); do
  sleep 2
  "$BIN/nfv-orch" migrate "$name"
done
wait "$iperf" || true
echo "iperf3: $(grep -E 'sender$' "$work/iperf.log")"
echo "sender's segments D-SACKed by the receiver: $(($(dsack) - before))"
echo go >&3
wait "${pids[1]}" || true
echo "idle connections after the moves: $(tail -1 "$work/idle.log")"
