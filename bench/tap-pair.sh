#!/usr/bin/env bash
# The TAP-pair benchmark: how many packets per second reach a sink namespace when a generator
# namespace sends 64-byte UDP frames through
#   bare         bench/tools/tapfwd.c: copies frames between the two TAP fds, no stages
#                (the limit of the TAP path: the same read/write system calls per frame)
#   bare-uring   bench/tools/tapfwd-uring.c: the same copy through one io_uring (many frames
#                per io_uring_enter instead of a read and a write system call each)
#   bare-vnet    bench/tools/tapfwd-vnet.c: the same with IFF_VNET_HDR and the offloads on,
#                passing GSO super-frames through as they come (the limit with offloads)
#   passthrough  nfv-dataplane running chains/bench-passthrough.yaml (parse + pass-through)
#   four-vnf     nfv-dataplane running chains/four-vnf.yaml (firewall, LB, router, NAT)
#   four-vnf-2w  the same chain on two workers (spec.workers: 2; worker 1 shares CPU 0 with
#                the generator: the machine has two cores)
#   veth         the Linux kernel forwarding between the namespaces over veth pairs
#   veth-nat     the same with an nftables masquerade (conntrack + NAT) in the router namespace
# and the TCP throughput of iperf3 over the same paths. Delivered packets are read from the
# sink interface's rx_packets counter; the generator (bench/tools/udpgen.c, AF_PACKET +
# sendmmsg) runs on CPU 0, the forwarder (a tapfwd or the nfv-dataplane worker) on CPU 1.
#
# usage: bench/tap-pair.sh [--seconds S] [--repeat R] [--flows N] [--results FILE.md]
# Needs root. Creates namespaces nfvb-gen, nfvb-sink, nfvb-rtr and removes them on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=5
repeat=3
flows=64
results=""
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --flows) flows=$2; shift 2 ;;
        --results) results=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "tap-pair.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "tap-pair.sh: needs root (TAP devices and namespaces)" >&2; exit 1; }

missing=""
command -v iperf3 >/dev/null || missing="$missing iperf3"
command -v nft >/dev/null || missing="$missing nftables"
command -v gcc >/dev/null || missing="$missing gcc"
[ -e /usr/include/liburing.h ] || missing="$missing liburing-dev"
if [ -n "$missing" ]; then
    echo "installing:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

tools=.build/bench-tools
mkdir -p "$tools"
gcc -O2 -Wall -o "$tools/udpgen" bench/tools/udpgen.c
gcc -O2 -Wall -o "$tools/tapfwd" bench/tools/tapfwd.c
gcc -O2 -Wall -o "$tools/tapfwd-vnet" bench/tools/tapfwd-vnet.c
gcc -O2 -Wall -o "$tools/tapfwd-uring" bench/tools/tapfwd-uring.c -luring
swift build -c release --product nfv-dataplane >/dev/null
dataplane=$(swift build -c release --show-bin-path)/nfv-dataplane

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    for ns in nfvb-gen nfvb-sink nfvb-rtr; do ip netns del "$ns" 2>/dev/null || true; done
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
mac_of() { in_ns "$1" cat "/sys/class/net/$2/address"; }
rx_packets() { in_ns "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "timed out waiting for $1" >&2; return 1; }

# Sets up one configuration: leaves the sink namespace/interface, the generator's interface,
# destination MAC and IP in sink_ns, sink_if, gen_if, dst_mac, dst_ip, tcp_target.
setup() {
    cleanup
    ip netns add nfvb-gen
    ip netns add nfvb-sink
    gen_if=nfvb-in; sink_ns=nfvb-sink; sink_if=nfvb-out
    case "$1" in
        bare|bare-uring|bare-vnet)
            rm -f "$work/ready"
            forwarder=$tools/tapfwd${1#bare}
            taskset -c 1 "$forwarder" nfvb-in nfvb-out --ready "$work/ready" >"$work/tapfwd.log" &
            pids+=($!)
            wait_for "$work/ready"
            ip link set nfvb-in netns nfvb-gen
            ip link set nfvb-out netns nfvb-sink
            in_ns nfvb-gen ip addr add 10.250.1.2/24 dev nfvb-in
            in_ns nfvb-sink ip addr add 10.250.1.3/24 dev nfvb-out
            for ns in nfvb-gen nfvb-sink; do in_ns $ns ip link set lo up; done
            in_ns nfvb-gen ip link set nfvb-in up
            in_ns nfvb-sink ip link set nfvb-out up
            dst_mac=$(mac_of nfvb-sink nfvb-out); dst_ip=10.250.1.3; tcp_target=10.250.1.3 ;;
        passthrough|four-vnf|four-vnf-2w)
            rm -f "$work/ready"
            chain_file=chains/four-vnf.yaml; [ "$1" = passthrough ] && chain_file=chains/bench-passthrough.yaml
            worker_cpus=1
            if [ "$1" = four-vnf-2w ]; then
                chain_file=$work/four-vnf-2w.yaml; worker_cpus=1,0
                sed -e "s#^spec:\$#spec:\n  workers: 2#" -e "s#\.\./vnf-configs#$PWD/vnf-configs#" chains/four-vnf.yaml >"$chain_file"
            fi
            "$dataplane" "$chain_file" --cpus "$worker_cpus" --ready-file "$work/ready" --control "$work/control.sock" \
                >"$work/dataplane-$1.log" 2>&1 &
            pids+=($!)
            wait_for "$work/ready"
            if [ "$1" = passthrough ]; then
                dst_mac=$(mac_of nfvb-sink nfvb-out); dst_ip=10.250.1.3; tcp_target=10.250.1.3
            else
                dst_mac=02:00:00:00:01:01; dst_ip=10.250.9.10; tcp_target=10.250.9.10
                # The router resolves the sink once; let it happen before the clock starts.
                in_ns nfvb-gen ping -c 1 -W 2 10.250.2.2 >/dev/null
            fi ;;
        veth|veth-nat)
            ip netns add nfvb-rtr
            ip link add nfvb-in netns nfvb-gen type veth peer name nfvb-r0 netns nfvb-rtr
            ip link add nfvb-out netns nfvb-sink type veth peer name nfvb-r1 netns nfvb-rtr
            in_ns nfvb-gen ip addr add 10.250.1.2/24 dev nfvb-in
            in_ns nfvb-rtr ip addr add 10.250.1.1/24 dev nfvb-r0
            in_ns nfvb-rtr ip addr add 10.250.2.1/24 dev nfvb-r1
            in_ns nfvb-sink ip addr add 10.250.2.2/24 dev nfvb-out
            for pair in nfvb-gen:nfvb-in nfvb-rtr:nfvb-r0 nfvb-rtr:nfvb-r1 nfvb-sink:nfvb-out; do
                in_ns "${pair%%:*}" ip link set "${pair#*:}" up
            done
            for ns in nfvb-gen nfvb-sink nfvb-rtr; do in_ns $ns ip link set lo up; done
            in_ns nfvb-gen ip route add default via 10.250.1.1
            in_ns nfvb-sink ip route add default via 10.250.2.1
            in_ns nfvb-rtr sysctl -qw net.ipv4.ip_forward=1
            if [ "$1" = veth-nat ]; then
                in_ns nfvb-rtr nft -f - <<'NFT'
table ip bench_nat {
    chain postrouting { type nat hook postrouting priority 100; oifname "nfvb-r1" masquerade; }
}
NFT
            fi
            in_ns nfvb-gen ping -c 1 -W 2 10.250.2.2 >/dev/null
            dst_mac=$(mac_of nfvb-rtr nfvb-r0); dst_ip=10.250.2.2; tcp_target=10.250.2.2 ;;
    esac
    gen_mac=$(mac_of nfvb-gen nfvb-in)
}

# "busy idle" jiffies of each CPU (user+nice+system+irq+softirq+steal, idle+iowait).
cpu_times() { awk '/^cpu[0-9]/ { printf "%s %d %d\n", $1, $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
# Busy percentage of each CPU between two cpu_times outputs: "cpu0=97% cpu1=88%".
cpu_busy() {
    paste -d' ' <(echo "$1") <(echo "$2") | awk '{ busy = $5 - $2; idle = $6 - $3;
        printf "%s%s=%.0f%%", (NR > 1 ? " " : ""), $1, (busy + idle > 0 ? 100 * busy / (busy + idle) : 0) }'
}

# Delivered UDP packets per second at the sink; also sets offered_pps (what the generator got
# the kernel to take), held_back (sendmmsg calls refused with ENOBUFS: the TAP queue towards
# the forwarder was full, so the forwarder, not the generator, set the rate) and busy (CPU use).
measure_udp() {
    local before after line cpu_before
    before=$(rx_packets "$sink_ns" "$sink_if")
    cpu_before=$(cpu_times)
    line=$(in_ns nfvb-gen taskset -c 0 "$tools/udpgen" "$gen_if" "$gen_mac" "$dst_mac" 10.250.1.2 "$dst_ip" 5001 \
           --flows "$flows" --seconds "$seconds" --batch 64)
    busy=$(cpu_busy "$cpu_before" "$(cpu_times)")
    sleep 0.2  # let the forwarder drain its queue
    after=$(rx_packets "$sink_ns" "$sink_if")
    held_back=${line#*refused_batches=}
    local elapsed=${line#*seconds=}; elapsed=${elapsed%% *}
    offered_pps=${line#*pps=}; offered_pps=${offered_pps%% *}
    delivered_pps=$(awk -v d=$((after - before)) -v s="$elapsed" 'BEGIN { printf "%.0f", d / s }')
}

measure_tcp() {
    in_ns "$sink_ns" iperf3 -s -1 -D -p 5201 --logfile "$work/iperf3-server.log" >/dev/null 2>&1
    sleep 0.3
    local json
    json=$(in_ns nfvb-gen iperf3 -c "$tcp_target" -p 5201 -t "$seconds" -J 2>/dev/null || true)
    tcp_gbps=$(printf '%s' "$json" | python3 -c '
import json, sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("n/a")')
}

configs=(bare bare-uring bare-vnet passthrough four-vnf four-vnf-2w veth veth-nat)
declare -A samples offered tcp held cpus
for round in $(seq "$repeat"); do
    for config in "${configs[@]}"; do
        setup "$config"
        measure_udp
        samples[$config]="${samples[$config]:-} $delivered_pps"
        offered[$config]="${offered[$config]:-} $offered_pps"
        held[$config]="${held[$config]:-} $held_back"
        cpus[$config]="$busy"
        if [ "$round" = 1 ]; then
            measure_tcp
            tcp[$config]=$tcp_gbps
        fi
        if [ "$config" = passthrough ] || [ "$config" = four-vnf ] || [ "$config" = four-vnf-2w ]; then
            kill -INT "${pids[-1]}"; wait "${pids[-1]}" || true
            cp "$work/dataplane-$config.log" "$work/last-$config.log"
        fi
        cleanup
        echo "round $round $config: delivered $delivered_pps pps (offered $offered_pps, $held_back sendmmsg calls held back; $busy)" >&2
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
bare=$(echo "${samples[bare]}" | median)
uring=$(echo "${samples[bare-uring]}" | median)
ratio() { awk -v v="$1" -v b="$2" 'BEGIN { if (v == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2fx", v / b }'; }
table=$(
    printf '| path | delivered 64-byte UDP (Mpps, median of %s) | runs (pps) | vs read/write forwarder | vs io_uring forwarder | generator held back (ENOBUFS calls, median) | CPU busy (last run) | iperf3 TCP (Gbit/s) | TCP vs vnet-hdr forwarder |\n' "$repeat"
    printf '|---|---:|---|---:|---:|---:|---|---:|---:|\n'
    for config in "${configs[@]}"; do
        value=$(echo "${samples[$config]}" | median)
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$config" \
            "$(awk -v v="$value" 'BEGIN { printf "%.3f", v / 1e6 }')" "$(echo ${samples[$config]} | tr ' ' ',')" \
            "$(ratio "$value" "$bare")" "$(ratio "$value" "$uring")" \
            "$(echo "${held[$config]}" | median)" "${cpus[$config]}" "${tcp[$config]}" "$(ratio "${tcp[$config]}" "${tcp[bare-vnet]}")"
    done
)
echo "$table"
for config in passthrough four-vnf four-vnf-2w; do
    echo; echo "nfv-dataplane counters at the end of the last $config run:"; sed -n '/^port /,$p' "$work/last-$config.log"
done | tee "$work/counters.txt"

if [ -n "$results" ]; then
    {
        echo "# TAP-pair benchmark, $(date -u +%Y-%m-%d)"
        echo
        echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), kernel $(uname -r)."
        echo "Command: \`bench/tap-pair.sh --seconds $seconds --repeat $repeat --flows $flows --results $results\`"
        echo "(generator: bench/tools/udpgen.c pinned to CPU 0, $flows flows, sendmmsg batches of 64;"
        echo "forwarder: tapfwd, tapfwd-uring, tapfwd-vnet or the nfv-dataplane worker pinned to CPU 1 with \`--cpus 1\`, release build)."
        echo
        echo "$table"
        echo
        echo '```'
        cat "$work/counters.txt"
        echo '```'
    } >"$results"
    svg=${results%.md}.svg
    for config in "${configs[@]}"; do
        echo "$config $(echo "${samples[$config]}" | median) ${tcp[$config]}"
    done | python3 bench/tools/plot.py "TAP-pair benchmark: delivered 64-byte UDP packets per second at the sink" >"$svg"
    echo "wrote $results and $svg"
fi
