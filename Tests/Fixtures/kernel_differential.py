#!/usr/bin/env python3
"""The Linux kernel as a reference for the firewall + router chain.

Usage (as root): kernel_differential.py SCENARIO OUTDIR      (SCENARIO: firewall, nat, natfrag or icmp)

Builds a scenario with scapy and writes OUTDIR/inside-rx.pcap and OUTDIR/outside-rx.pcap (the
frames arriving on each side). Then sends the same frames, in time order, through a real Linux
router in a network namespace: IPv4 forwarding, permanent neighbour entries (no ARP), and
- firewall: an nftables stateful ruleset equivalent to Tests/Fixtures/differential/firewall.yaml,
  nf_conntrack_tcp_loose=0 (a connection must start with a SYN, as in our firewall);
- nat: nftables masquerade on the outside interface and a port forward equivalent to
  Tests/Fixtures/differential/nat.yaml;
- natfrag: masquerade (as nat) of fragmented UDP datagrams, in order and first fragment last;
- icmp: the ICMP errors a router and a filter originate: time exceeded, fragmentation needed
  towards a 1400-byte MTU on the outside, network unreachable, and a reject before routing
  (firewall-icmp.yaml and router-icmp.yaml). What the kernel forwards out of each side is written to OUTDIR/kernel-inside-tx.pcap
and OUTDIR/kernel-outside-tx.pcap. Every namespace it creates is deleted again, also on errors
and on SIGINT/SIGTERM.
"""
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw, raw, wrpcap  # noqa: E402

CLIENT_MAC, LAN_MAC = "02:00:00:00:01:0a", "02:00:00:00:01:01"
WAN_MAC, UPSTREAM_MAC = "02:00:00:00:02:01", "02:00:00:00:02:fe"
CLIENT, WEB, DNS = "10.0.1.10", "203.0.113.10", "203.0.113.53"
RULESET = """
table inet nfvdiff {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    ct state invalid drop
    iifname "in0" tcp dport { 80, 443 } accept
    iifname "in0" udp dport 53 accept
    iifname "in0" icmp type echo-request accept
  }
}
"""


def scenario():
    """(side, frame) in time order: side is 'inside' or 'outside'."""
    frames = []

    def inside(packet):
        frames.append(("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / packet))

    def outside(packet):
        frames.append(("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / packet))

    for port, base in ((40000, 1000), (40001, 2000)):
        inside(IP(src=CLIENT, dst=WEB, ttl=64, id=base) / TCP(sport=port, dport=80, flags="S", seq=base))
        outside(IP(src=WEB, dst=CLIENT, ttl=60, id=base + 1) / TCP(sport=80, dport=port, flags="SA", seq=9000, ack=base + 1))
        inside(IP(src=CLIENT, dst=WEB, ttl=64, id=base + 2) / TCP(sport=port, dport=80, flags="A", seq=base + 1, ack=9001))
        inside(IP(src=CLIENT, dst=WEB, ttl=64, id=base + 3) / TCP(sport=port, dport=80, flags="PA", seq=base + 1, ack=9001) / Raw(b"GET /\r\n"))
        outside(IP(src=WEB, dst=CLIENT, ttl=60, id=base + 4) / TCP(sport=80, dport=port, flags="PA", seq=9001, ack=base + 8) / Raw(b"hello"))
        inside(IP(src=CLIENT, dst=WEB, ttl=64, id=base + 5) / TCP(sport=port, dport=80, flags="FA", seq=base + 8, ack=9006))
        outside(IP(src=WEB, dst=CLIENT, ttl=60, id=base + 6) / TCP(sport=80, dport=port, flags="FA", seq=9006, ack=base + 9))
        inside(IP(src=CLIENT, dst=WEB, ttl=64, id=base + 7) / TCP(sport=port, dport=80, flags="A", seq=base + 9, ack=9007))
    # Not allowed or not part of any connection.
    outside(IP(src="198.51.100.99", dst=CLIENT, ttl=60) / TCP(sport=5555, dport=22, flags="S"))
    inside(IP(src=CLIENT, dst=WEB, ttl=64) / TCP(sport=40002, dport=443, flags="A", seq=5, ack=6))
    inside(IP(src=CLIENT, dst=WEB, ttl=64) / TCP(sport=40003, dport=25, flags="S"))
    inside(IP(src=CLIENT, dst=WEB, ttl=64) / UDP(sport=40004, dport=5000) / Raw(b"x"))
    outside(IP(src=WEB, dst=CLIENT, ttl=60) / ICMP(type=0, id=0x99, seq=1) / Raw(b"unsolicited"))
    # DNS and ping, both ways.
    inside(IP(src=CLIENT, dst=DNS, ttl=64, id=77) / UDP(sport=40005, dport=53) / Raw(b"\x12\x34query"))
    outside(IP(src=DNS, dst=CLIENT, ttl=60, id=78) / UDP(sport=53, dport=40005) / Raw(b"\x12\x34answer"))
    inside(IP(src=CLIENT, dst=WEB, ttl=64, id=79) / ICMP(type=8, id=0x42, seq=1) / Raw(b"ping"))
    outside(IP(src=WEB, dst=CLIENT, ttl=60, id=80) / ICMP(type=0, id=0x42, seq=1) / Raw(b"ping"))
    # A SYN answered by RST, then a SYN/ACK out of the blue for the same ports.
    inside(IP(src=CLIENT, dst=WEB, ttl=64, id=81) / TCP(sport=40006, dport=443, flags="S", seq=50))
    outside(IP(src=WEB, dst=CLIENT, ttl=60, id=82) / TCP(sport=443, dport=40006, flags="RA", seq=0, ack=51))
    outside(IP(src=WEB, dst=CLIENT, ttl=60, id=83) / TCP(sport=443, dport=40007, flags="SA", seq=1, ack=1))
    return stamp_scenario(frames)


# The reject runs before routing, where our firewall sits in front of the router: the quote
# then holds the packet as it arrived (in the forward hook it would hold it with TTL - 1).
ICMP_RULESET = """
table inet nfvicmp {
  chain prerouting {
    type filter hook prerouting priority 0;
    udp dport 69 reject
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    ct state invalid drop
    iifname "in0" udp dport 53 accept
  }
}
"""


def natfrag_scenario():
    """(side, frame) in time order: two UDP datagrams of 1400 bytes in three fragments each,
    the first in order, the second with its first fragment last, then one answer back."""
    from scapy.all import fragment
    frames = []

    def inside(packet):
        frames.append(("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / packet))

    first = fragment(IP(src=CLIENT, dst=DNS, ttl=64, id=0x4201) / UDP(sport=41000, dport=53) / Raw(bytes(range(256)) * 5 + b"x" * 112),
                     fragsize=512)
    second = fragment(IP(src=CLIENT, dst=DNS, ttl=64, id=0x4202) / UDP(sport=41001, dport=53) / Raw(b"y" * 1392), fragsize=512)
    for packet in first:
        inside(packet)
    for packet in second[1:] + second[:1]:
        inside(packet)
    frames.append(("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) /
                   IP(src=DNS, dst="198.51.100.2", ttl=60, id=0x99) / UDP(sport=53, dport=41000) / Raw(b"answer")))
    return stamp_scenario(frames)


def icmp_scenario():
    """(side, frame) in time order: one datagram forwarded, four that each earn an ICMP error."""
    frames = []

    def inside(packet):
        frames.append(("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / packet))

    inside(IP(src=CLIENT, dst=DNS, ttl=64, id=100) / UDP(sport=41000, dport=53) / Raw(b"\x12\x34query"))
    # TTL 1: time exceeded in transit.
    inside(IP(src=CLIENT, dst=DNS, ttl=1, id=101, tos=0x10) / UDP(sport=41001, dport=53) / Raw(b"traceroute"))
    # 1450 bytes with DF towards the 1400-byte outside link: fragmentation needed, MTU 1400.
    inside(IP(src=CLIENT, dst=DNS, ttl=64, id=102, flags="DF") / UDP(sport=41002, dport=53) / Raw(b"B" * 1422))
    # No route: network unreachable.
    inside(IP(src=CLIENT, dst="8.8.8.8", ttl=64, id=103) / UDP(sport=41003, dport=53) / Raw(b"lost"))
    # TFTP is rejected: port unreachable, from the router's address on the way back.
    inside(IP(src=CLIENT, dst=DNS, ttl=64, id=104) / UDP(sport=41004, dport=69) / Raw(b"\x00\x01file\x00octet\x00"))
    return stamp_scenario(frames)


NAT_RULESET = """
table ip nfvnat {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    iifname "out0" tcp dport 8080 dnat to 10.0.1.10:80
  }
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "out0" masquerade
  }
}
"""


def nat_scenario():
    """(side, frame) in time order for the NAT comparison; no two inside endpoints compete for
    a port, so the kernel's port choice is deterministic (it keeps the original)."""
    frames = []
    public, r1, r2 = "198.51.100.2", "203.0.113.5", "203.0.113.6"
    a, b = CLIENT, "10.0.1.20"

    def inside(packet, mac=CLIENT_MAC):
        frames.append(("inside", Ether(src=mac, dst=LAN_MAC) / packet))

    def outside(packet):
        frames.append(("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / packet))

    inside(IP(src=a, dst=r1, ttl=64, id=1) / TCP(sport=40000, dport=80, flags="S", seq=100))
    outside(IP(src=r1, dst=public, ttl=60, id=2) / TCP(sport=80, dport=40000, flags="SA", seq=500, ack=101))
    inside(IP(src=a, dst=r1, ttl=64, id=3) / TCP(sport=40000, dport=80, flags="A", seq=101, ack=501))
    inside(IP(src=a, dst=r1, ttl=64, id=4) / TCP(sport=40000, dport=80, flags="PA", seq=101, ack=501) / Raw(b"GET /\r\n"))
    outside(IP(src=r1, dst=public, ttl=60, id=5) / TCP(sport=80, dport=40000, flags="PA", seq=501, ack=108) / Raw(b"hi"))
    query = IP(src=a, dst=r1, ttl=64, id=6) / UDP(sport=5000, dport=53) / Raw(b"\x12\x34query")
    inside(query)
    outside(IP(src=r1, dst=public, ttl=60, id=7) / UDP(sport=53, dport=5000) / Raw(b"\x12\x34answer"))
    inside(IP(src=a, dst=r1, ttl=64, id=8) / ICMP(type=8, id=0x1234, seq=1) / Raw(b"ping"))
    outside(IP(src=r1, dst=public, ttl=60, id=9) / ICMP(type=0, id=0x1234, seq=1) / Raw(b"ping"))
    # The port forward, both ways.
    outside(IP(src=r2, dst=public, ttl=60, id=10) / TCP(sport=33333, dport=8080, flags="S", seq=10))
    inside(IP(src=a, dst=r2, ttl=64, id=11) / TCP(sport=80, dport=33333, flags="SA", seq=20, ack=11))
    outside(IP(src=r2, dst=public, ttl=60, id=12) / TCP(sport=33333, dport=8080, flags="A", seq=11, ack=21))
    # Another host.
    inside(IP(src=b, dst=r2, ttl=64, id=13) / TCP(sport=41000, dport=443, flags="S", seq=30), mac="02:00:00:00:01:14")
    outside(IP(src=r2, dst=public, ttl=60, id=14) / TCP(sport=443, dport=41000, flags="SA", seq=40, ack=31))
    # An ICMP port unreachable about A's datagram as it left the NAT (RFC 5508 translation).
    sent = IP(raw(query))
    sent.src = public
    sent.ttl = 63
    sent.chksum = None
    sent[UDP].chksum = None
    outside(IP(src=r1, dst=public, ttl=60, id=15) / ICMP(type=3, code=3) / Raw(raw(IP(raw(sent)))))
    return stamp_scenario(frames)


def stamp_scenario(frames):
    result = []
    clock = Decimal(1_700_002_000)
    for side, frame in frames:
        clock += Decimal(1) / 100
        frame = Ether(raw(frame))
        frame.time = clock
        result.append((side, frame))
    return result


def run(command, namespace=None, check=True):
    full = (["ip", "netns", "exec", namespace] if namespace else []) + command
    return subprocess.run(full, check=check, capture_output=True, text=True)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("firewall", "nat", "natfrag", "icmp"):
        print(__doc__)
        sys.exit(2)
    kind, out = sys.argv[1], sys.argv[2]
    frames = {"firewall": scenario, "nat": nat_scenario, "natfrag": natfrag_scenario, "icmp": icmp_scenario}[kind]()
    wrpcap(os.path.join(out, "inside-rx.pcap"), [f for side, f in frames if side == "inside"], linktype=1)
    wrpcap(os.path.join(out, "outside-rx.pcap"), [f for side, f in frames if side == "outside"], linktype=1)
    suffix = str(os.getpid())
    dut, tester = "nfvdut" + suffix, "nfvtst" + suffix
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        run(["ip", "netns", "add", dut])
        run(["ip", "netns", "add", tester])
        for name, peer, mac in (("in0", "in0p", LAN_MAC), ("out0", "out0p", WAN_MAC)):
            run(["ip", "link", "add", name, "netns", dut, "address", mac, "type", "veth", "peer", "name", peer, "netns", tester])
        for namespace in (dut, tester):
            run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"], namespace)
        for peer in ("in0p", "out0p"):
            run(["sysctl", "-qw", f"net.ipv6.conf.{peer}.disable_ipv6=1"], tester)
            run(["ip", "link", "set", peer, "up"], tester)
        run(["sysctl", "-qw", "net.ipv4.ip_forward=1"], dut)
        for name in ("in0", "out0"):
            run(["sysctl", "-qw", f"net.ipv6.conf.{name}.disable_ipv6=1"], dut)
            run(["ip", "link", "set", name, "up"], dut)
        run(["ip", "addr", "add", "10.0.1.1/24", "dev", "in0"], dut)
        run(["ip", "addr", "add", "198.51.100.2/30", "dev", "out0"], dut)
        if kind == "icmp":
            run(["ip", "link", "set", "out0", "mtu", "1400"], dut)
        run(["ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.1"], dut)
        run(["ip", "neigh", "add", CLIENT, "lladdr", CLIENT_MAC, "dev", "in0", "nud", "permanent"], dut)
        run(["ip", "neigh", "add", "10.0.1.20", "lladdr", "02:00:00:00:01:14", "dev", "in0", "nud", "permanent"], dut)
        run(["ip", "neigh", "add", "198.51.100.1", "lladdr", UPSTREAM_MAC, "dev", "out0", "nud", "permanent"], dut)
        ruleset = {"firewall": RULESET, "nat": NAT_RULESET, "natfrag": NAT_RULESET, "icmp": ICMP_RULESET}[kind]
        subprocess.run(["ip", "netns", "exec", dut, "nft", "-f", "-"], input=ruleset, text=True, check=True, capture_output=True)
        run(["sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0"], dut)
        helper = subprocess.run(["ip", "netns", "exec", tester, sys.executable, __file__, "--inject", out],
                                capture_output=True, text=True)
        if helper.returncode != 0:
            print(helper.stdout + helper.stderr)
            sys.exit(1)
        print(helper.stdout.strip())
    finally:
        for namespace in (dut, tester):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


def inject(out):
    """Inside the tester namespace: send every frame in time order and record what comes back."""
    from scapy.all import rdpcap
    frames = sorted([("inside", f) for f in rdpcap(os.path.join(out, "inside-rx.pcap"))]
                    + [("outside", f) for f in rdpcap(os.path.join(out, "outside-rx.pcap"))], key=lambda item: item[1].time)
    sockets = {}
    for side, interface in (("inside", "in0p"), ("outside", "out0p")):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        sock.bind((interface, 0))
        sock.setblocking(False)
        sockets[side] = sock
    received = {"inside": [], "outside": []}

    def drain(wait):
        deadline = time.time() + wait
        while True:
            remaining = deadline - time.time()
            if remaining <= 0:
                return
            ready, _, _ = select.select(list(sockets.values()), [], [], remaining)
            for side, sock in sockets.items():
                if sock in ready:
                    try:
                        data, address = sock.recvfrom(65535)
                    except BlockingIOError:
                        continue
                    if address[2] != socket.PACKET_OUTGOING and data[12:14] == b"\x08\x00":
                        received[side].append(data)

    drain(0.2)  # let link-up chatter pass
    for key in received:
        received[key].clear()
    for index, (side, frame) in enumerate(frames):
        sockets[side].send(raw(frame))
        drain(0.05)
        for key in received:  # stamp what came out with the time of the frame that caused it
            received[key] = [(frame.time, item) if isinstance(item, bytes) else item for item in received[key]]
    drain(0.3)
    for side in ("inside", "outside"):
        packets = []
        for stamp, data in received[side]:
            packet = Ether(data)
            packet.time = stamp
            packets.append(packet)
        wrpcap(os.path.join(out, f"kernel-{side}-tx.pcap"), packets, linktype=1)
    print(f"kernel forwarded {len(received['inside'])} frames to the inside, {len(received['outside'])} to the outside")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--inject":
        inject(sys.argv[2])
    else:
        main()
