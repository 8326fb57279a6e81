#!/usr/bin/env bash
# TCP throughput of a chain across two hosts (network namespaces joined by a veth underlay
# with MTU 1600), with the release build: a client on host a, a pass-through chain half on
# each host joined by their vxlan ports (VNI 4200), a server on host b; beside it, in the same
# run, the kernel alone doing the same crossing (on each host a bridge joining a veth toward
# the client or server with a VXLAN device of the same VNI): what the two data planes cost on
# top of the kernel's VXLAN. iperf3, SECONDS each, REPEAT alternated rounds.
# Usage: [SECONDS=5] [REPEAT=3] bench/vxlan-hosts.sh   (root)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${SECONDS:-5}
REPEAT=${REPEAT:-3}
swift build -c release --product nfv-dataplane >/dev/null
BIN=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
ha=nfvb-vha$$
hb=nfvb-vhb$$
client=nfvb-vcl$$
server=nfvb-vsv$$
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$ha" "$hb" "$client" "$server"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
for ns in "$ha" "$hb"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add nfvb-ua type veth peer name nfvb-ub
ip link set nfvb-ua mtu 1600 netns "$ha"
ip link set nfvb-ub mtu 1600 netns "$hb"
ip -n "$ha" addr add 192.168.252.1/24 dev nfvb-ua
ip -n "$hb" addr add 192.168.252.2/24 dev nfvb-ub
ip -n "$ha" link set nfvb-ua up
ip -n "$hb" link set nfvb-ub up

iperf() {  # one iperf3 run from the client to the server's 10.92.0.2; prints Gbit/s
  ip netns exec "$server" iperf3 -s -1 -D -p 5299 >/dev/null 2>&1
  sleep 0.3
  ip netns exec "$client" iperf3 -c 10.92.0.2 -p 5299 -t "$SECONDS_EACH" -J \
    | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}

chains() {  # the two halves, pass-through, each host's data plane in its namespace
  for side in a b; do
    if [ $side = a ]; then
      inside="{ name: inside, type: tap, ifname: nfvb-vc, namespace: $client, address: 10.92.0.1/24 }"
      outside="{ name: outside, type: vxlan, ifname: nfvb-xa, vni: 4200, remote: 192.168.252.2, local: 192.168.252.1, mtu: 1500 }"
    else
      inside="{ name: inside, type: vxlan, ifname: nfvb-xb, vni: 4200, remote: 192.168.252.1, local: 192.168.252.2, mtu: 1500 }"
      outside="{ name: outside, type: tap, ifname: nfvb-vs, namespace: $server, address: 10.92.0.2/24 }"
    fi
    printf 'apiVersion: nfv/v1\nkind: Chain\nmetadata: { name: vx-%s }\nspec:\n  ports:\n    - %s\n    - %s\n  stages:\n    - { name: pt, vnf: pass-through }\n' \
      "$side" "$inside" "$outside" > "$work/$side.yaml"
    host=$ha; [ $side = b ] && host=$hb
    nsenter --net=/run/netns/$host "$BIN/nfv-dataplane" "$work/$side.yaml" --control "$work/$side.sock" --ready-file "$work/$side.ready" \
      > "$work/$side.log" 2>&1 &
    pids+=($!)
  done
  for side in a b; do for _ in $(seq 100); do [ -f "$work/$side.ready" ] && break; sleep 0.1; done; done
}

stop_chains() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

kernel() {  # the kernel alone: client/server veths bridged with VXLAN on each host
  ip netns add "$client"; ip netns add "$server"
  for side in a b; do
    host=$ha; ns=$client; addr=10.92.0.1/24; local=192.168.252.1; remote=192.168.252.2
    [ $side = b ] && { host=$hb; ns=$server; addr=10.92.0.2/24; local=192.168.252.2; remote=192.168.252.1; }
    ip -n "$host" link add kbr0 type bridge
    ip -n "$host" link add kvx0 type vxlan id 4200 remote $remote local $local dstport 4789 nolearning
    ip -n "$host" link add kv0 type veth peer name kv1
    ip -n "$host" link set kv1 netns "$ns"
    ip -n "$ns" addr add $addr dev kv1
    ip -n "$ns" link set kv1 up
    ip -n "$ns" link set lo up
    for dev in kvx0 kv0; do ip -n "$host" link set $dev master kbr0 up; done
    ip -n "$host" link set kbr0 up
  done
}

unkernel() {
  ip netns del "$client"; ip netns del "$server"
  for host in "$ha" "$hb"; do ip -n "$host" link del kbr0; ip -n "$host" link del kvx0; ip -n "$host" link del kv0 2>/dev/null || true; done
}

echo "round  chain Gbit/s  kernel Gbit/s  ratio"
for round in $(seq "$REPEAT"); do
  chains
  ours=$(iperf)
  stop_chains
  kernel
  sleep 1
  reference=$(iperf)
  unkernel
  echo "$round      $ours         $reference          $(python3 -c "print('%.2f' % ($ours / $reference))")"
done
