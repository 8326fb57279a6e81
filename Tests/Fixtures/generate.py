#!/usr/bin/env python3
"""Builds the test captures and their expected values with scapy, independently of the Swift code.

Usage: generate.py           write Tests/Fixtures/packets/* and chains/captures/mixed-traffic.pcap
       generate.py --check   regenerate into a temporary folder and fail if the committed files differ

Every expected value comes from scapy (offsets from layer lengths, checksums scapy computes) or,
for malformed frames, from the rule of the RFC named next to the case.
"""
import json
import logging
from decimal import Decimal
import os
import sys
import tempfile
import filecmp

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest, ICMPv6EchoReply,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPOption_RR, Raw,
                       wrpcap, raw)
from scapy.utils import PcapNgWriter

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

T0 = 1_700_000_000
MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


def eth(**kw):
    return Ether(src=MAC_A, dst=MAC_B, **kw)


def stamp(packets, start=T0):
    for index, packet in enumerate(packets):
        # Decimal, not float: exact microseconds in both pcap and pcapng.
        packet.time = Decimal(start) + Decimal(index) / 1000 + Decimal(7) / 1_000_000
    return packets


def l3_l4_offsets(packet):
    """Offsets of the IP header and the transport header, from scapy's own layer lengths."""
    total = len(raw(packet))
    l3 = l4 = None
    for layer in (IP, IPv6, ARP):
        if packet.haslayer(layer):
            l3 = total - len(raw(packet[layer]))
            break
    for layer in (TCP, UDP, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply):
        if packet.haslayer(layer):
            l4 = total - len(raw(packet[layer]))
            break
    return l3, l4


def describe(packet):
    """What a parser must find in a well-formed packet, as scapy sees it."""
    packet = packet.__class__(raw(packet))  # re-dissect so every computed field is filled in
    l3, l4 = l3_l4_offsets(packet)
    info = {"l3_offset": l3, "l4_offset": l4, "length": len(raw(packet))}
    tags = [layer for layer in (Dot1AD, Dot1Q) if packet.haslayer(layer)]
    if packet.haslayer(Dot1AD):
        info["vlan"] = packet[Dot1AD].vlan
    elif packet.haslayer(Dot1Q):
        info["vlan"] = packet[Dot1Q].vlan
    info["tags"] = sum(1 for layer in packet.layers() if layer in (Dot1Q, Dot1AD))
    if packet.haslayer(IP):
        ip = packet[IP]
        info.update(eth_type=0x0800, ip_proto=ip.proto, src=ip.src, dst=ip.dst, ttl=ip.ttl,
                    ip_checksum=ip.chksum, ihl=ip.ihl, total_length=ip.len,
                    fragment=bool(ip.flags.MF) or ip.frag != 0, later_fragment=ip.frag != 0)
    elif packet.haslayer(IPv6):
        ip = packet[IPv6]
        frag = packet[IPv6ExtHdrFragment] if packet.haslayer(IPv6ExtHdrFragment) else None
        proto = ip.nh
        layer = ip.payload
        while layer is not None and layer.__class__ in (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment):
            proto = layer.nh
            layer = layer.payload
        info.update(eth_type=0x86DD, ip_proto=proto, src=ip.src, dst=ip.dst, hop_limit=ip.hlim,
                    fragment=frag is not None and (frag.m == 1 or frag.offset != 0),
                    later_fragment=frag is not None and frag.offset != 0)
    elif packet.haslayer(ARP):
        info.update(eth_type=0x0806, arp_op=packet[ARP].op, arp_psrc=packet[ARP].psrc)
    if packet.haslayer(TCP):
        info.update(sport=packet[TCP].sport, dport=packet[TCP].dport, l4_checksum=packet[TCP].chksum,
                    tcp_flags=int(packet[TCP].flags), tcp_header_length=packet[TCP].dataofs * 4)
    elif packet.haslayer(UDP):
        info.update(sport=packet[UDP].sport, dport=packet[UDP].dport, l4_checksum=packet[UDP].chksum)
    elif packet.haslayer(ICMP):
        info.update(icmp_type=packet[ICMP].type, icmp_id=packet[ICMP].id, l4_checksum=packet[ICMP].chksum)
    return info


def header_cases():
    """(name, packet bytes or scapy packet, expectation) for the parser tests."""
    cases = []

    def good(name, packet, reverse_of=None):
        expectation = {"drop": "none", **describe(packet)}
        if reverse_of is not None:
            expectation["reverse_of"] = reverse_of
        cases.append((name, packet, expectation))

    def bad(name, data, reason, rule):
        cases.append((name, data, {"drop": reason, "rule": rule, "length": len(raw(data))}))

    good("ipv4-tcp-syn-options", eth() / IP(src="10.0.0.1", dst="192.0.2.10", ttl=64, id=7) /
         TCP(sport=40000, dport=80, flags="S", seq=1000, options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]))
    good("ipv4-tcp-synack-reply", Ether(src=MAC_B, dst=MAC_A) / IP(src="192.0.2.10", dst="10.0.0.1", ttl=63, id=8) /
         TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001), reverse_of=0)
    good("ipv4-udp-dns", eth() / IP(src="10.0.0.2", dst="198.51.100.53", ttl=17) / UDP(sport=53000, dport=53) /
         Raw(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"))
    good("ipv4-udp-zero-checksum", eth() / IP(src="10.0.0.2", dst="198.51.100.9") / UDP(sport=9, dport=9, chksum=0) / Raw(b"abc"))
    good("ipv4-icmp-echo", eth() / IP(src="10.0.0.3", dst="203.0.113.1") / ICMP(type=8, id=0x4242, seq=1) / Raw(b"ping" * 8))
    good("ipv4-icmp-echo-reply", Ether(src=MAC_B, dst=MAC_A) / IP(src="203.0.113.1", dst="10.0.0.3") /
         ICMP(type=0, id=0x4242, seq=1) / Raw(b"ping" * 8), reverse_of=4)
    good("ipv4-options-record-route", eth() / IP(src="10.1.1.1", dst="10.2.2.2", options=[IPOption_RR(routers=["0.0.0.0"] * 3)]) /
         UDP(sport=1111, dport=2222) / Raw(b"x" * 10))
    good("ipv4-first-fragment", eth() / IP(src="10.0.0.4", dst="10.0.0.5", flags="MF", frag=0, id=99, proto=17) /
         UDP(sport=5000, dport=6000, len=1000) / Raw(b"f" * 32))
    good("ipv4-later-fragment", eth() / IP(src="10.0.0.4", dst="10.0.0.5", flags=0, frag=5, id=99, proto=17) / Raw(b"g" * 40))
    good("vlan-ipv4-udp", eth() / Dot1Q(vlan=100, prio=5) / IP(src="10.9.0.1", dst="10.9.0.2") / UDP(sport=7, dport=7) / Raw(b"v"))
    good("qinq-ipv4-tcp", eth(type=0x88A8) / Dot1AD(vlan=200) / Dot1Q(vlan=300) / IP(src="10.8.0.1", dst="10.8.0.2") /
         TCP(sport=1234, dport=443, flags="A"))
    good("arp-request", Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=MAC_A, psrc="10.0.0.1", pdst="10.0.0.254"))
    good("ipv6-tcp", eth() / IPv6(src="2001:db8::1", dst="2001:db8:1::80", hlim=64) / TCP(sport=50000, dport=443, flags="S"))
    good("ipv6-hbh-destopt-udp", eth() / IPv6(src="2001:db8::2", dst="2001:db8::3", hlim=5) / IPv6ExtHdrHopByHop() /
         IPv6ExtHdrDestOpt() / UDP(sport=4000, dport=4001) / Raw(b"ext"))
    good("ipv6-first-fragment-udp", eth() / IPv6(src="2001:db8::4", dst="2001:db8::5") / IPv6ExtHdrFragment(m=1, offset=0, id=5) /
         UDP(sport=1, dport=2, len=3000) / Raw(b"a" * 16))
    good("ipv6-later-fragment", eth() / IPv6(src="2001:db8::4", dst="2001:db8::5") / IPv6ExtHdrFragment(m=0, offset=100, nh=17, id=5) /
         Raw(b"b" * 24))
    good("ipv6-icmpv6-echo", eth() / IPv6(src="2001:db8::6", dst="2001:db8::7") / ICMPv6EchoRequest(id=77, seq=3, data=b"hello"))
    good("non-ip-ethertype", eth(type=0x88B5) / Raw(b"\x00" * 46))
    # 43 bytes of headers and data padded to the 60-byte Ethernet minimum: the padding lies
    # outside the IP total length (29) and must not be taken as payload.
    good("ipv4-with-ethernet-padding",
         Ether(raw(eth() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / Raw(b"p")) + b"\x00" * 17))

    base_tcp = eth() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=2)
    bad("truncated-ethernet", raw(eth())[:10], "truncated_ethernet", "Ethernet II needs 14 bytes of header")
    bad("truncated-vlan", raw(eth(type=0x8100))[:14] + b"\x00\x64", "truncated_vlan", "802.1Q tag is 4 bytes after the TPID")
    bad("three-vlan-tags", raw(eth(type=0x88A8) / Dot1AD(vlan=1) / Dot1Q(vlan=2, type=0x8100) / Dot1Q(vlan=3) / IP() / UDP()),
        "vlan_stack_too_deep", "the parser accepts at most two tags (802.1ad QinQ)")
    bad("truncated-arp", raw(Ether(src=MAC_A, dst=MAC_B) / ARP())[:14 + 20], "truncated_arp",
        "RFC 826: 8 fixed bytes + 2*(hlen+plen) = 28 for Ethernet/IPv4")
    bad("ipv4-shorter-than-header", raw(base_tcp)[:14 + 12], "truncated_ipv4", "RFC 791: the header is at least 20 bytes")
    bad("ipv4-bad-version", raw(eth() / IP(version=5) / UDP()), "bad_ip_version", "EtherType 0x0800 requires version 4")
    bad("ipv4-ihl-4", raw(eth() / IP(ihl=4) / UDP()), "bad_ipv4_header_length", "RFC 791: IHL minimum is 5")
    bad("ipv4-ihl-beyond-frame", raw(eth() / IP(ihl=15, options=[]))[:14 + 40], "truncated_ipv4",
        "IHL=15 announces 60 header bytes but the frame holds fewer")
    bad("ipv4-total-length-beyond-frame", raw(eth() / IP(len=200) / UDP() / Raw(b"x" * 10)), "ipv4_total_length_beyond_frame",
        "RFC 791: total length 200 exceeds the bytes present")
    bad("ipv4-total-length-below-header", raw(eth() / IP(len=12) / UDP()), "ipv4_total_length_below_header",
        "RFC 791: total length includes the 20-byte header")
    bad("ipv6-truncated", raw(eth() / IPv6() / UDP())[:14 + 30], "truncated_ipv6", "RFC 8200: the fixed header is 40 bytes")
    bad("ipv6-bad-version", raw(eth() / IPv6(version=4) / UDP()), "bad_ip_version", "EtherType 0x86DD requires version 6")
    bad("ipv6-payload-beyond-frame", raw(eth() / IPv6(plen=100) / UDP()), "ipv6_payload_beyond_frame",
        "RFC 8200: payload length 100 exceeds the bytes present")
    bad("ipv6-extension-truncated", raw(eth() / IPv6(nh=0, plen=4) / Raw(b"\x11\x00\x00\x00")), "truncated_ipv6_extension_header",
        "RFC 8200 4.3: a Hop-by-Hop header is at least 8 bytes")
    bad("ipv6-extension-length-beyond-payload", raw(eth() / IPv6(nh=60, plen=8) / Raw(b"\x11\x05" + b"\x00" * 6)),
        "truncated_ipv6_extension_header", "Hdr Ext Len 5 announces 48 bytes but the payload holds 8")
    bad("tcp-truncated", raw(base_tcp)[:14 + 20 + 12], "ipv4_total_length_beyond_frame",
        "cut inside TCP: the IPv4 total length (40) already exceeds the frame, checked first")
    bad("tcp-truncated-inside-ip", raw(eth() / IP(src="10.0.0.1", dst="10.0.0.2", proto=6) / Raw(b"\x00" * 12)), "truncated_tcp",
        "RFC 9293: the TCP header is at least 20 bytes; the IP payload holds 12")
    bad("tcp-data-offset-4", raw(eth() / IP() / TCP(dataofs=4)), "bad_tcp_data_offset", "RFC 9293: data offset minimum is 5")
    bad("tcp-data-offset-beyond-ip", raw(eth() / IP() / TCP(dataofs=15)), "truncated_tcp",
        "data offset 15 announces 60 bytes but the IP payload holds 20")
    bad("udp-truncated", raw(eth() / IP(proto=17) / Raw(b"\x00" * 6)), "truncated_udp", "RFC 768: the UDP header is 8 bytes")
    bad("udp-length-beyond-ip", raw(eth() / IP() / UDP(len=50) / Raw(b"x" * 4)), "bad_udp_length",
        "RFC 768: UDP length 50 exceeds the 12-byte IP payload")
    bad("udp-length-below-header", raw(eth() / IP() / UDP(len=4) / Raw(b"x" * 4)), "bad_udp_length",
        "RFC 768: UDP length includes the 8-byte header")
    bad("icmp-truncated", raw(eth() / IP(proto=1) / Raw(b"\x08\x00\x00\x00")), "truncated_icmp", "RFC 792: the ICMP header is 8 bytes")
    bad("icmpv6-truncated", raw(eth() / IPv6(nh=58, plen=2) / Raw(b"\x80\x00")), "truncated_icmpv6",
        "RFC 4443: type, code and checksum take 4 bytes")
    return cases


def write_headers(directory):
    cases = header_cases()
    packets = []
    expectations = []
    for name, packet, expectation in cases:
        packets.append(Raw(raw(packet)))
        expectations.append({"name": name, **expectation})
    stamp(packets)
    wrpcap(os.path.join(directory, "headers.pcap"), packets, linktype=1)
    with open(os.path.join(directory, "headers.json"), "w") as handle:
        json.dump(expectations, handle, indent=1, sort_keys=True)
        handle.write("\n")


def ttl_traffic():
    """Mixed traffic for the TTL-decrement replay, with what scapy expects after one hop."""
    packets = []
    expected = []
    drops = {}

    def forward(packet, after):
        packets.append(packet)
        expected.append(after)

    def dropped(packet, reason):
        packets.append(packet)
        expected.append(None)
        drops[reason] = drops.get(reason, 0) + 1

    def hop(packet):
        """The same packet one router hop later: TTL or hop limit - 1, IPv4 checksum recomputed."""
        after = packet.copy()
        if after.haslayer(IP):
            after[IP].ttl -= 1
            after[IP].chksum = None
        elif after.haslayer(IPv6):
            after[IPv6].hlim -= 1
        return Ether(raw(after))

    flows = [("10.0.0.%d" % (1 + n % 7), "192.0.2.%d" % (10 + n % 5), 30000 + n, 80 + n % 3) for n in range(24)]
    for n, (src, dst, sport, dport) in enumerate(flows):
        ttl = [64, 2, 255, 128, 33][n % 5]
        if n % 3 == 0:
            packet = eth() / IP(src=src, dst=dst, ttl=ttl, id=n) / TCP(sport=sport, dport=dport, flags="PA", seq=n * 1000) / Raw(b"data%d" % n)
        elif n % 3 == 1:
            packet = eth() / IP(src=src, dst=dst, ttl=ttl, id=n, flags="DF") / UDP(sport=sport, dport=dport) / Raw(b"u" * (n + 1))
        else:
            packet = eth() / IP(src=src, dst=dst, ttl=ttl, id=n) / ICMP(type=8, id=n, seq=n) / Raw(b"p" * 8)
        packet = Ether(raw(packet))
        forward(packet, hop(packet))
    for ttl in (1, 0, 1):
        dropped(Ether(raw(eth() / IP(src="10.0.0.1", dst="192.0.2.1", ttl=ttl) / UDP(sport=1, dport=2))), "ttl_expired")
    forward(Ether(raw(eth() / Dot1Q(vlan=42) / IP(src="10.4.0.1", dst="10.4.0.2", ttl=9) / UDP(sport=3, dport=4))), None)
    expected[-1] = hop(packets[-1])
    forward(Ether(raw(eth() / IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=64) / TCP(sport=5, dport=6))), None)
    expected[-1] = hop(packets[-1])
    dropped(Ether(raw(eth() / IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=1) / UDP(sport=5, dport=6))), "hop_limit_expired")
    arp = Ether(raw(Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.0.0.1", pdst="10.0.0.2", hwsrc=MAC_A)))
    forward(arp, arp)
    dropped(Ether(raw(eth() / IP(ihl=4) / UDP())), "bad_ipv4_header_length")
    dropped(Ether(raw(eth() / IP(len=300) / UDP())), "ipv4_total_length_beyond_frame")
    # RFC 1624's corner case: after the hop the header sums to 0xFFFF, so the right checksum is
    # 0x0000 (0x4500 + 0x0014 + 0xB9EB + 0x0100 = 0xFFFF); RFC 1141's formula would give 0xFFFF.
    corner = eth() / IP(src="0.0.0.0", dst="0.0.0.0", ttl=2, id=0xB9EB, proto=0, len=20, chksum=None)
    corner = Ether(raw(corner))
    forward(corner, hop(corner))
    stamp(packets)
    timestamps = [packet.time for packet in packets]
    out = []
    for packet, after, time in zip(packets, expected, timestamps):
        if after is not None:
            after.time = time
            out.append(after)
    return packets, out, drops


def write_ttl(directory):
    packets, expected, drops = ttl_traffic()
    wrpcap(os.path.join(directory, "ttl-in.pcap"), packets, linktype=1)
    wrpcap(os.path.join(directory, "ttl-expected.pcap"), expected, linktype=1)
    # The same expectation with one field changed: packet 7's TTL one higher, checksum left as it
    # was, so a comparison must name exactly "packet 7: ipv4.ttl".
    changed = [packet.copy() for packet in expected]
    changed[6][IP].ttl += 1
    changed[6] = Ether(raw(changed[6]))
    changed[6].time = expected[6].time
    wrpcap(os.path.join(directory, "ttl-expected-one-field-changed.pcap"), changed, linktype=1)
    writer = PcapNgWriter(os.path.join(directory, "ttl-in.pcapng"))
    for packet in packets:
        writer.write(packet)
    writer.close()
    with open(os.path.join(directory, "ttl-expected.json"), "w") as handle:
        json.dump({"input": len(packets), "output": len(expected), "drops": drops}, handle, indent=1, sort_keys=True)
        handle.write("\n")


CLIENT_MAC = "02:00:00:00:01:0a"
GATEWAY_MAC = "02:00:00:00:01:01"


def firewall_traffic():
    """Traffic on both sides of a stateful firewall (vnf-configs/edge-firewall.yaml), with what
    must leave each side. Returns (inside_rx, outside_rx, inside_tx, outside_tx, drops)."""
    inside_rx, outside_rx, inside_tx, outside_tx = [], [], [], []
    drops = {}
    clock = [Decimal(T0)]

    def at(packet):
        clock[0] += Decimal(1) / 1000
        packet = Ether(raw(packet))
        packet.time = clock[0]
        return packet

    def out(packet, passes=True, reason=None):   # from the inside host towards the outside
        packet = at(Ether(src=CLIENT_MAC, dst=GATEWAY_MAC) / packet)
        inside_rx.append(packet)
        if passes:
            outside_tx.append(packet)
        else:
            drops[reason] = drops.get(reason, 0) + 1
        return packet

    def back(packet, passes=True, reason=None):  # from the outside towards the inside host
        packet = at(Ether(src=GATEWAY_MAC, dst=CLIENT_MAC) / packet)
        outside_rx.append(packet)
        if passes:
            inside_tx.append(packet)
        else:
            drops[reason] = drops.get(reason, 0) + 1
        return packet

    def reply(packet, trigger):  # generated by the firewall, sent back to the inside host
        packet = Ether(raw(Ether(src=GATEWAY_MAC, dst=CLIENT_MAC) / packet))
        packet.time = trigger.time
        inside_tx.append(packet)

    client, web = "10.0.1.10", "203.0.113.10"
    # 1. A TCP session to the web server: handshake, data both ways, orderly close.
    out(IP(src=client, dst=web) / TCP(sport=40000, dport=80, flags="S", seq=1000))
    back(IP(src=web, dst=client) / TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001))
    out(IP(src=client, dst=web) / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001))
    out(IP(src=client, dst=web) / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001) / Raw(b"GET / HTTP/1.0\r\n\r\n"))
    back(IP(src=web, dst=client) / TCP(sport=80, dport=40000, flags="PA", seq=5001, ack=1019) / Raw(b"HTTP/1.0 200 OK\r\n\r\nhi"))
    out(IP(src=client, dst=web) / TCP(sport=40000, dport=80, flags="FA", seq=1019, ack=5023))
    back(IP(src=web, dst=client) / TCP(sport=80, dport=40000, flags="FA", seq=5023, ack=1020))
    out(IP(src=client, dst=web) / TCP(sport=40000, dport=80, flags="A", seq=1020, ack=5024))
    # 2. Unsolicited inbound SYN: no rule allows it, default drop.
    back(IP(src="198.51.100.99", dst=client) / TCP(sport=5555, dport=22, flags="S"), False, "firewall_default")
    # 3. A mid-stream ACK with no connection: allowed by port, but it cannot open one (INVALID).
    out(IP(src=client, dst=web) / TCP(sport=40001, dport=443, flags="A", seq=7, ack=9), False, "conntrack_invalid")
    # 4. SMTP is rejected: the firewall answers the SYN with RST/ACK (seq 0, ack = seq + 1).
    smtp = out(IP(src=client, dst="203.0.113.25") / TCP(sport=40002, dport=25, flags="S", seq=777), False, "firewall_reject")
    reply(IP(src="203.0.113.25", dst=client, ttl=64, id=0, flags="DF") /
          TCP(sport=25, dport=40002, flags="RA", seq=0, ack=778, window=0), smtp)
    # 5. TFTP is rejected with an ICMP port unreachable quoting the datagram.
    tftp = out(IP(src=client, dst="198.51.100.69") / UDP(sport=40003, dport=69) / Raw(b"\x00\x01file\x00octet\x00"),
               False, "firewall_reject")
    # ICMP errors as RFC 1812 4.3.2.5 and Linux send them: precedence 6 (TOS 0xc0), no DF.
    reply(IP(src="198.51.100.69", dst=client, ttl=64, id=0, tos=0xc0 | tftp[IP].tos & 0x1e) / ICMP(type=3, code=3) /
          Raw(raw(tftp[IP])), tftp)
    # 6. DNS out and back; then an ICMP error about that flow passes as RELATED.
    query = out(IP(src=client, dst="198.51.100.53") / UDP(sport=40004, dport=53) / Raw(b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6))
    back(IP(src="198.51.100.53", dst=client) / UDP(sport=53, dport=40004) / Raw(b"\x12\x34\x81\x80" + b"\x00" * 8))
    back(IP(src="198.51.100.1", dst=client) / ICMP(type=11, code=0) / Raw(raw(query[IP])))
    # 7. An ICMP error about a flow nobody opened is INVALID (as in netfilter).
    stray = IP(src=client, dst="192.0.2.200") / UDP(sport=999, dport=999)
    back(IP(src="198.51.100.1", dst=client) / ICMP(type=3, code=1) / Raw(raw(stray)), False, "conntrack_invalid")
    # 8. Ping out and back; an unsolicited echo reply is INVALID.
    out(IP(src=client, dst=web) / ICMP(type=8, id=0x77, seq=1) / Raw(b"x" * 16))
    back(IP(src=web, dst=client) / ICMP(type=0, id=0x77, seq=1) / Raw(b"x" * 16))
    back(IP(src=web, dst=client) / ICMP(type=0, id=0x78, seq=1) / Raw(b"x" * 16), False, "conntrack_invalid")
    # 9. IPv6: a TCP handshake to the web server's IPv6 address, and ping6.
    c6, w6 = "fd00:1::10", "2001:db8:f::80"
    out(IPv6(src=c6, dst=w6) / TCP(sport=41000, dport=80, flags="S", seq=10))
    back(IPv6(src=w6, dst=c6) / TCP(sport=80, dport=41000, flags="SA", seq=20, ack=11))
    out(IPv6(src=c6, dst=w6) / TCP(sport=41000, dport=80, flags="A", seq=11, ack=21))
    back(IPv6(src=w6, dst=c6) / TCP(sport=80, dport=41001, flags="S", seq=30), False, "firewall_default")
    out(IPv6(src=c6, dst=w6) / ICMPv6EchoRequest(id=5, seq=1))
    back(IPv6(src=w6, dst=c6) / ICMPv6EchoReply(id=5, seq=1))
    # 10. Telnet hits a drop rule; ARP passes statelessly in both directions, and so does IPv6
    # neighbour discovery (not part of any connection, allowed by its own rules).
    out(IP(src=client, dst=web) / TCP(sport=40005, dport=23, flags="S"), False, "firewall_rule")
    out(ARP(op=1, hwsrc=CLIENT_MAC, psrc=client, pdst="10.0.1.1"))
    back(ARP(op=2, hwsrc=GATEWAY_MAC, psrc="10.0.1.1", hwdst=CLIENT_MAC, pdst=client))
    out(IPv6(src=c6, dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="fd00:1::1") / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC))
    back(IPv6(src="fd00:1::1", dst=c6, hlim=255) / ICMPv6ND_NA(tgt="fd00:1::1", R=1, S=1, O=1) /
         ICMPv6NDOptDstLLAddr(lladdr=GATEWAY_MAC))
    return inside_rx, outside_rx, inside_tx, outside_tx, drops


def write_firewall(directory, demo_directory):
    inside_rx, outside_rx, inside_tx, outside_tx, drops = firewall_traffic()
    for folder in (directory, demo_directory):
        wrpcap(os.path.join(folder, "firewall-inside-rx.pcap"), inside_rx, linktype=1)
        wrpcap(os.path.join(folder, "firewall-outside-rx.pcap"), outside_rx, linktype=1)
    wrpcap(os.path.join(directory, "firewall-inside-tx-expected.pcap"), inside_tx, linktype=1)
    wrpcap(os.path.join(directory, "firewall-outside-tx-expected.pcap"), outside_tx, linktype=1)
    with open(os.path.join(directory, "firewall-expected.json"), "w") as handle:
        json.dump({"inside_rx": len(inside_rx), "outside_rx": len(outside_rx), "inside_tx": len(inside_tx),
                   "outside_tx": len(outside_tx), "drops": drops}, handle, indent=1, sort_keys=True)
        handle.write("\n")


LAN_MAC = "02:00:00:00:01:01"
WAN_MAC = "02:00:00:00:02:01"
UPSTREAM_MAC = "02:00:00:00:02:fe"
LAN_ROUTER_MAC = "02:00:00:00:01:fe"


def icmp_error_bytes(kind, code, rest, quote, ipv6_pair=None):
    """ICMP / ICMPv6 error header + quote, with the checksum computed by scapy."""
    import struct
    from scapy.utils import checksum
    from scapy.layers.inet6 import in6_chksum
    body = struct.pack("!BBHI", kind, code, 0, rest) + quote
    if ipv6_pair is None:
        value = checksum(body)
    else:
        value = in6_chksum(58, IPv6(src=ipv6_pair[0], dst=ipv6_pair[1]), body)
    return body[:2] + struct.pack("!H", value) + body[4:]


def router_traffic():
    """Traffic on both sides of the router (vnf-configs/edge-router.yaml) and what must leave
    each side. Returns (inside_rx, outside_rx, inside_tx, outside_tx, drops)."""
    inside_rx, outside_rx, inside_tx, outside_tx = [], [], [], []
    drops = {}
    clock = [Decimal(T0 + 100)]

    def tick(packet):
        clock[0] += Decimal(1) / 1000
        packet = Ether(raw(packet))
        packet.time = clock[0]
        return packet

    def arrive(side, packet, reason=None):
        packet = tick(packet)
        (inside_rx if side == "inside" else outside_rx).append(packet)
        if reason:
            drops[reason] = drops.get(reason, 0) + 1
        return packet

    def leave(side, packet, time=None):
        packet = Ether(raw(packet))
        packet.time = time if time is not None else clock[0]
        (inside_tx if side == "inside" else outside_tx).append(packet)

    def routed(packet, src_mac, dst_mac):
        """The packet one hop later: MACs rewritten, TTL / hop limit - 1, checksum recomputed."""
        after = Ether(raw(packet))
        after[Ether].src, after[Ether].dst = src_mac, dst_mac
        if after.haslayer(IP):
            after[IP].ttl -= 1
            after[IP].chksum = None
        else:
            after[IPv6].hlim -= 1
        return after

    def icmp4_error(original, kind, code, rest=0):
        quote = raw(original[IP])[:548]
        return (Ether(src=LAN_MAC, dst=original[Ether].src) /
                IP(src="10.0.1.1", dst=original[IP].src, ttl=64, id=0, tos=0xc0 | original[IP].tos & 0x1e, proto=1) /
                Raw(icmp_error_bytes(kind, code, rest, quote)))

    def icmp6_error(original, kind, code, rest=0):
        quote = raw(original[IPv6])[:1232]
        return (Ether(src=LAN_MAC, dst=original[Ether].src) /
                IPv6(src="fd00:1::1", dst=original[IPv6].src, hlim=64, nh=58) /
                Raw(icmp_error_bytes(kind, code, rest, quote, ("fd00:1::1", original[IPv6].src))))

    client, client6 = "10.0.1.10", "fd00:1::10"
    # ARP for the router's address: answered, and the client is learnt.
    arrive("inside", Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc=CLIENT_MAC, psrc=client, pdst="10.0.1.1"), "consumed")
    leave("inside", Ether(src=LAN_MAC, dst=CLIENT_MAC) /
          ARP(op=2, hwsrc=LAN_MAC, psrc="10.0.1.1", hwdst=CLIENT_MAC, pdst=client))
    # Ping the router.
    arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst="10.0.1.1", id=1) /
           ICMP(type=8, id=9, seq=1) / Raw(b"ping-router"), "consumed")
    leave("inside", Ether(src=LAN_MAC, dst=CLIENT_MAC) / IP(src="10.0.1.1", dst=client, ttl=64, id=0) /
          ICMP(type=0, id=9, seq=1) / Raw(b"ping-router"))
    # A datagram to the Internet: the next hop is unresolved, so it waits and an ARP request goes out.
    held = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst="203.0.113.5", ttl=64, id=2) /
                  UDP(sport=5000, dport=53) / Raw(b"query"))
    leave("outside", Ether(src=WAN_MAC, dst="ff:ff:ff:ff:ff:ff") /
          ARP(op=1, hwsrc=WAN_MAC, psrc="198.51.100.2", hwdst="00:00:00:00:00:00", pdst="198.51.100.1"))
    # The upstream router answers; the held datagram leaves, routed.
    arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) /
           ARP(op=2, hwsrc=UPSTREAM_MAC, psrc="198.51.100.1", hwdst=WAN_MAC, pdst="198.51.100.2"), "consumed")
    leave("outside", routed(held, WAN_MAC, UPSTREAM_MAC))
    # Resolved now: a TCP SYN goes straight out; the answer comes back to the client.
    syn = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst="203.0.113.5", ttl=64, id=3) /
                 TCP(sport=40000, dport=443, flags="S", seq=100))
    leave("outside", routed(syn, WAN_MAC, UPSTREAM_MAC))
    synack = arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src="203.0.113.5", dst=client, ttl=57, id=4) /
                    TCP(sport=443, dport=40000, flags="SA", seq=900, ack=101))
    leave("inside", routed(synack, LAN_MAC, CLIENT_MAC))
    # TTL 1: time exceeded, quoting the datagram as it arrived.
    expiring = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst="203.0.113.5", ttl=1, id=5) /
                      UDP(sport=33434, dport=33435) / Raw(b"traceroute"), "ttl_expired")
    leave("inside", icmp4_error(expiring, 11, 0))
    # No route: destination unreachable (network).
    lost = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst="8.8.8.8", id=6) /
                  UDP(sport=5001, dport=53), "no_route")
    leave("inside", icmp4_error(lost, 3, 0))
    # Too big for the 1500-byte WAN link with DF: fragmentation needed, next-hop MTU 1500.
    big = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst="203.0.113.5", id=7, flags="DF") /
                 UDP(sport=5002, dport=9) / Raw(b"B" * 1600), "needs_fragmentation")
    leave("inside", icmp4_error(big, 3, 4, 1500))
    # Never forwarded: a martian source, a bad header checksum, multicast, another host's MAC.
    arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src="127.0.0.1", dst="203.0.113.5") / UDP(), "martian_source")
    arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst="203.0.113.5", chksum=0x1234) / UDP(),
           "bad_ipv4_checksum")
    arrive("inside", Ether(src=CLIENT_MAC, dst="01:00:5e:00:00:05") / IP(src=client, dst="224.0.0.5") / UDP(),
           "not_routed_multicast")
    arrive("inside", Ether(src=CLIENT_MAC, dst="02:00:00:00:99:99") / IP(src=client, dst="203.0.113.5") / UDP(),
           "wrong_destination_mac")
    # A route through a second router on the LAN, learnt from its own ARP request for us.
    arrive("inside", Ether(src=LAN_ROUTER_MAC, dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc=LAN_ROUTER_MAC, psrc="10.0.1.254", pdst="10.0.1.1"), "consumed")
    leave("inside", Ether(src=LAN_MAC, dst=LAN_ROUTER_MAC) /
          ARP(op=2, hwsrc=LAN_MAC, psrc="10.0.1.1", hwdst=LAN_ROUTER_MAC, pdst="10.0.1.254"))
    inbound = arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src="203.0.113.9", dst="192.0.2.20", ttl=50, id=8) /
                     UDP(sport=7, dport=7))
    leave("inside", routed(inbound, LAN_MAC, LAN_ROUTER_MAC))

    # IPv6: neighbour solicitation for the router, answered (router, solicited, override).
    arrive("inside", Ether(src=CLIENT_MAC, dst="33:33:ff:00:00:01") /
           IPv6(src=client6, dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="fd00:1::1") /
           ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC), "consumed")
    leave("inside", Ether(src=LAN_MAC, dst=CLIENT_MAC) / IPv6(src="fd00:1::1", dst=client6, hlim=255) /
          ICMPv6ND_NA(R=1, S=1, O=1, tgt="fd00:1::1") / ICMPv6NDOptDstLLAddr(lladdr=LAN_MAC))
    # A datagram to the IPv6 Internet waits for neighbour discovery of the upstream router.
    held6 = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IPv6(src=client6, dst="2001:db8:aaaa::5", hlim=64) /
                   UDP(sport=6000, dport=53) / Raw(b"query6"))
    leave("outside", Ether(src=WAN_MAC, dst="33:33:ff:00:00:01") /
          IPv6(src="2001:db8:ffff::2", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="2001:db8:ffff::1") /
          ICMPv6NDOptSrcLLAddr(lladdr=WAN_MAC))
    arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IPv6(src="2001:db8:ffff::1", dst="2001:db8:ffff::2", hlim=255) /
           ICMPv6ND_NA(R=1, S=1, O=1, tgt="2001:db8:ffff::1") / ICMPv6NDOptDstLLAddr(lladdr=UPSTREAM_MAC), "consumed")
    leave("outside", routed(held6, WAN_MAC, UPSTREAM_MAC))
    answer6 = arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IPv6(src="2001:db8:aaaa::5", dst=client6, hlim=60) /
                     UDP(sport=53, dport=6000) / Raw(b"answer6"))
    leave("inside", routed(answer6, LAN_MAC, CLIENT_MAC))
    lost6 = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IPv6(src=client6, dst="2001:db8:bbbb::1") / UDP(sport=1, dport=2),
                   "no_route")
    leave("inside", icmp6_error(lost6, 1, 0))
    expiring6 = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IPv6(src=client6, dst="2001:db8:aaaa::5", hlim=1) /
                       UDP(sport=3, dport=4), "hop_limit_expired")
    leave("inside", icmp6_error(expiring6, 3, 0))
    big6 = arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IPv6(src=client6, dst="2001:db8:aaaa::5") /
                  UDP(sport=5, dport=6) / Raw(b"C" * 1500), "needs_fragmentation")
    leave("inside", icmp6_error(big6, 2, 0, 1500))
    arrive("inside", Ether(src=CLIENT_MAC, dst=LAN_MAC) / IPv6(src=client6, dst="fd00:1::1") /
           ICMPv6EchoRequest(id=3, seq=4, data=b"ping6"), "consumed")
    leave("inside", Ether(src=LAN_MAC, dst=CLIENT_MAC) / IPv6(src="fd00:1::1", dst=client6, hlim=64) /
          ICMPv6EchoReply(id=3, seq=4, data=b"ping6"))
    return inside_rx, outside_rx, inside_tx, outside_tx, drops


def write_router(directory, demo_directory):
    inside_rx, outside_rx, inside_tx, outside_tx, drops = router_traffic()
    for folder in (directory, demo_directory):
        wrpcap(os.path.join(folder, "router-inside-rx.pcap"), inside_rx, linktype=1)
        wrpcap(os.path.join(folder, "router-outside-rx.pcap"), outside_rx, linktype=1)
    wrpcap(os.path.join(directory, "router-inside-tx-expected.pcap"), inside_tx, linktype=1)
    wrpcap(os.path.join(directory, "router-outside-tx-expected.pcap"), outside_tx, linktype=1)
    with open(os.path.join(directory, "router-expected.json"), "w") as handle:
        json.dump({"drops": drops, "inside_tx": len(inside_tx), "outside_tx": len(outside_tx)}, handle, indent=1, sort_keys=True)
        handle.write("\n")


def nat_traffic():
    """Traffic on both sides of the NAT (Tests/Fixtures/nat/nat.yaml) and what must leave each
    side, translated by scapy. Returns (inside_rx, outside_rx, inside_tx, outside_tx, drops)."""
    inside_rx, outside_rx, inside_tx, outside_tx = [], [], [], []
    drops = {}
    clock = [Decimal(T0 + 200)]
    public = "198.51.100.2"

    def tick(packet, jump=Decimal(1) / 1000):
        clock[0] += jump
        packet = Ether(raw(packet))
        packet.time = clock[0]
        return packet

    def arrive(side, packet, reason=None, jump=Decimal(1) / 1000):
        packet = tick(Ether(src=CLIENT_MAC, dst=LAN_MAC) / packet if side == "inside"
                      else Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / packet, jump)
        (inside_rx if side == "inside" else outside_rx).append(packet)
        if reason:
            drops[reason] = drops.get(reason, 0) + 1
        return packet

    def leave(side, packet, **changes):
        """`packet` with the given IP / transport fields changed and checksums recomputed."""
        after = Ether(raw(packet))
        ip = after[IP]
        for field in ("src", "dst"):
            if field in changes:
                setattr(ip, field, changes[field])
        ip.chksum = None
        if after.haslayer(TCP):
            layer = after[TCP]
        elif after.haslayer(UDP):
            layer = after[UDP]
        else:
            layer = after[ICMP]
        for field in ("sport", "dport", "id"):
            if field in changes:
                setattr(layer, field, changes[field])
        if not (after.haslayer(UDP) and after[UDP].chksum == 0):
            layer.chksum = None
        after = Ether(raw(after))
        after.time = packet.time
        (inside_tx if side == "inside" else outside_tx).append(after)
        return after

    a, b, r1, r2 = "10.0.1.10", "10.0.1.20", "203.0.113.5", "203.0.113.6"
    # TCP from A: the port is kept; the reply comes back to A.
    p = arrive("inside", IP(src=a, dst=r1, id=1) / TCP(sport=40000, dport=80, flags="S", seq=100))
    leave("outside", p, src=public)
    p = arrive("outside", IP(src=r1, dst=public, id=2) / TCP(sport=80, dport=40000, flags="SA", seq=500, ack=101))
    leave("inside", p, dst=a)
    p = arrive("inside", IP(src=a, dst=r1, id=3) / TCP(sport=40000, dport=80, flags="A", seq=101, ack=501))
    leave("outside", p, src=public)
    # Endpoint-independent mapping: the same inside endpoint to another host keeps 40000.
    p = arrive("inside", IP(src=a, dst=r2, id=4) / TCP(sport=40000, dport=443, flags="S", seq=700))
    leave("outside", p, src=public)
    # B uses port 40000 too: it is taken, so B gets the next free port, 40001.
    p = arrive("inside", IP(src=b, dst=r1, id=5) / TCP(sport=40000, dport=80, flags="S", seq=900))
    b_syn = leave("outside", p, src=public, sport=40001)
    p = arrive("outside", IP(src=r1, dst=public, id=6) / TCP(sport=80, dport=40001, flags="SA", seq=50, ack=901))
    leave("inside", p, dst=b, dport=40000)
    # ICMP echo: A keeps identifier 0x1234; B asks with the same one and gets 0x1235.
    p = arrive("inside", IP(src=a, dst=r1, id=7) / ICMP(type=8, id=0x1234, seq=1) / Raw(b"ping-a"))
    leave("outside", p, src=public)
    p = arrive("outside", IP(src=r1, dst=public, id=8) / ICMP(type=0, id=0x1234, seq=1) / Raw(b"ping-a"))
    leave("inside", p, dst=a)
    p = arrive("inside", IP(src=b, dst=r1, id=9) / ICMP(type=8, id=0x1234, seq=1) / Raw(b"ping-b"))
    leave("outside", p, src=public, id=0x1235)
    p = arrive("outside", IP(src=r1, dst=public, id=10) / ICMP(type=0, id=0x1235, seq=1) / Raw(b"ping-b"))
    leave("inside", p, dst=b, id=0x1234)
    # UDP from A, and its answer.
    p = arrive("inside", IP(src=a, dst=r1, id=11) / UDP(sport=5000, dport=53) / Raw(b"query"))
    a_udp = leave("outside", p, src=public)
    p = arrive("outside", IP(src=r1, dst=public, id=12) / UDP(sport=53, dport=5000) / Raw(b"answer"))
    leave("inside", p, dst=a)
    # A UDP datagram without checksum keeps checksum 0.
    p = arrive("inside", IP(src=a, dst=r1, id=13) / UDP(sport=5001, dport=9, chksum=0) / Raw(b"nocsum"))
    leave("outside", p, src=public)
    p = arrive("inside", IP(src=a, dst=r1, id=22) / UDP(sport=5001, dport=9, chksum=0) / Raw(b"again"))  # live mapping
    leave("outside", p, src=public)
    # DNAT both ways: the port forward to A:80, and A's answer from 198.51.100.2:8080.
    p = arrive("outside", IP(src=r2, dst=public, id=14) / TCP(sport=33333, dport=8080, flags="S", seq=10))
    leave("inside", p, dst=a, dport=80)
    p = arrive("inside", IP(src=a, dst=r2, id=15) / TCP(sport=80, dport=33333, flags="SA", seq=20, ack=11))
    leave("outside", p, src=public, sport=8080)
    # Hairpinning: B reaches A through the forward and through A's UDP mapping, from B's own
    # public mapping, and both go back inside.
    p = arrive("inside", IP(src=b, dst=public, id=16) / TCP(sport=41000, dport=8080, flags="S", seq=30))
    leave("inside", p, src=public, dst=a, dport=80)
    p = arrive("inside", IP(src=b, dst=public, id=17) / UDP(sport=6000, dport=5000) / Raw(b"hairpin"))
    leave("inside", p, src=public, dst=a)
    # ICMP errors from outside about mapped flows, translated back with the quote (RFC 5508).
    p = arrive("outside", IP(src=r1, dst=public, id=18) / ICMP(type=3, code=3) / Raw(raw(a_udp[IP])))
    expected = Ether(raw(p))
    expected[IP].dst = a
    expected[IP].chksum = None
    inner = IP(raw(a_udp[IP]))
    inner.src = a
    inner.chksum = None
    inner[UDP].chksum = None
    expected[ICMP].remove_payload()
    expected[ICMP].chksum = None
    expected = Ether(raw(expected / Raw(raw(inner))))
    expected.time = p.time
    inside_tx.append(expected)
    p = arrive("outside", IP(src="203.0.113.1", dst=public, id=19) / ICMP(type=11, code=0) / Raw(raw(b_syn[IP])[:28]))
    expected = Ether(raw(p))
    expected[IP].dst = b
    expected[IP].chksum = None
    inner_bytes = bytearray(raw(b_syn[IP])[:28])
    inner = IP(raw(b_syn[IP]))
    inner.src = b
    inner.chksum = None
    inner[TCP].sport = 40000
    inner[TCP].chksum = None
    inner_bytes = raw(inner)[:28]  # the quote holds the IP header and the first 8 bytes of TCP
    expected[ICMP].remove_payload()
    expected[ICMP].chksum = None
    expected = Ether(raw(expected / Raw(inner_bytes)))
    expected.time = p.time
    inside_tx.append(expected)
    # Unsolicited inbound: nothing maps 198.51.100.2:9999.
    arrive("outside", IP(src=r2, dst=public) / UDP(sport=1, dport=9999), "nat_no_mapping")
    # Port exhaustion: 10.0.9.0/24 may use ports 2000-2001 only.
    for host, port in (("10.0.9.1", 2000), ("10.0.9.2", 2001)):
        p = arrive("inside", IP(src=host, dst=r1) / UDP(sport=3000, dport=53) / Raw(b"q"))
        leave("outside", p, src=public, sport=port)
    # The third host finds no free port: dropped, and (onExhaustion: icmp-unreachable) told so
    # with a destination unreachable, code 13 (RFC 5508 REQ-8), from an address of the NAT's
    # own (RFC 1812 4.3.2.4; with no router in the chain, the public address the sender maps to).
    p = arrive("inside", IP(src="10.0.9.3", dst=r1) / UDP(sport=3000, dport=53) / Raw(b"q"), "nat_ports_exhausted")
    prohibited = Ether(raw(Ether(src=LAN_MAC, dst=CLIENT_MAC) / IP(src=public, dst="10.0.9.3", ttl=64, id=0, tos=0xc0 | p[IP].tos & 0x1e)
                           / ICMP(type=3, code=13) / Raw(raw(p[IP]))))
    prohibited.time = p.time
    inside_tx.append(prohibited)
    # Expiry: a UDP mapping made now is gone 301 s later (the timeout is 300 s).
    p = arrive("inside", IP(src=b, dst=r1, id=20) / UDP(sport=7000, dport=53) / Raw(b"late"))
    leave("outside", p, src=public)
    arrive("outside", IP(src=r1, dst=public, id=21) / UDP(sport=53, dport=7000) / Raw(b"too late"), "nat_no_mapping",
           jump=Decimal(301))
    return inside_rx, outside_rx, inside_tx, outside_tx, drops


def write_nat(directory, demo_directory):
    inside_rx, outside_rx, inside_tx, outside_tx, drops = nat_traffic()
    for folder in (directory, demo_directory):
        wrpcap(os.path.join(folder, "nat-inside-rx.pcap"), inside_rx, linktype=1)
        wrpcap(os.path.join(folder, "nat-outside-rx.pcap"), outside_rx, linktype=1)
    wrpcap(os.path.join(directory, "nat-inside-tx-expected.pcap"), inside_tx, linktype=1)
    wrpcap(os.path.join(directory, "nat-outside-tx-expected.pcap"), outside_tx, linktype=1)
    with open(os.path.join(directory, "nat-expected.json"), "w") as handle:
        json.dump({"drops": drops, "inside_tx": len(inside_tx), "outside_tx": len(outside_tx)}, handle, indent=1, sort_keys=True)
        handle.write("\n")


def partial_checksum(packet):
    """`packet` (Ether/IP/TCP) with its TCP checksum left as a sender with checksum offload
    leaves it (Linux CHECKSUM_PARTIAL): the folded pseudo-header sum, not complemented."""
    packet = Ether(raw(packet))
    ip = packet[IP]
    length = len(raw(ip[TCP]))
    words = [int(part) for part in ip.src.split(".")] + [int(part) for part in ip.dst.split(".")]
    total = (words[0] << 8 | words[1]) + (words[2] << 8 | words[3]) + (words[4] << 8 | words[5]) + (words[6] << 8 | words[7])
    total += 6 + length
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    packet[TCP].chksum = total
    return Ether(raw(packet))


def tso_segments(packet, mss, **changes):
    """What tcp_gso_segment makes of a TSO super-frame: `mss`-byte segments with the sequence
    number advanced, IP identifications counting up, FIN/PSH only on the last segment, CWR only
    on the first, every checksum computed by scapy; `changes` rewrite addresses and ports."""
    time = packet.time
    packet = Ether(raw(packet))
    payload = raw(packet[TCP].payload)
    segments = []
    for index, offset in enumerate(range(0, len(payload), mss)):
        chunk = payload[offset:offset + mss]
        segment = Ether(raw(packet))
        segment[TCP].remove_payload()
        ip, tcp = segment[IP], segment[TCP]
        ip.id = (packet[IP].id + index) & 0xFFFF
        ip.len = None
        ip.chksum = None
        tcp.seq = (packet[TCP].seq + offset) & 0xFFFFFFFF
        flags = int(packet[TCP].flags)
        if offset + mss < len(payload):
            flags &= ~(0x01 | 0x08)
        if index > 0:
            flags &= ~0x80
        tcp.flags = flags
        tcp.chksum = None
        for field in ("src", "dst"):
            if field in changes:
                setattr(ip, field, changes[field])
        for field in ("sport", "dport"):
            if field in changes:
                setattr(tcp, field, changes[field])
        segment = Ether(raw(segment / Raw(chunk)))
        segment.time = time
        segments.append(segment)
    return segments


def offload_traffic():
    """TSO super-frames as a capture on an offloading TAP holds them (IP packets up to 64 KiB,
    partial checksums) through the NAT of nat_traffic, and the segments that must leave: cut at
    1448 bytes (MTU 1500 less the IP header and a TCP header with timestamps), translated, with
    complete checksums."""
    inside_rx, outside_rx, inside_tx, outside_tx = [], [], [], []
    clock = [Decimal(T0 + 500)]
    public, a, r1 = "198.51.100.2", "10.0.1.10", "203.0.113.5"
    timestamps = [("NOP", None), ("NOP", None), ("Timestamp", (1000, 2000))]

    def at(packet):
        clock[0] += Decimal(1) / 1000
        packet = Ether(raw(packet))
        packet.time = clock[0]
        return packet

    def out(packet, **changes):
        expected = Ether(raw(packet))
        for field in ("src", "dst"):
            if field in changes:
                setattr(expected[IP], field, changes[field])
        for field in ("sport", "dport"):
            if field in changes:
                setattr(expected[TCP], field, changes[field])
        expected[IP].chksum = None
        expected[TCP].chksum = None
        expected = Ether(raw(expected))
        expected.time = packet.time
        return expected

    def inside(ip, tcp, payload=b""):
        return Ether(src=CLIENT_MAC, dst=LAN_MAC) / ip / tcp / Raw(payload)

    def outside(ip, tcp, payload=b""):
        return Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / ip / tcp / Raw(payload)

    # The handshake (plain frames) makes the mapping 10.0.1.10:45000 -> 198.51.100.2:45000.
    syn = at(inside(IP(src=a, dst=r1, id=100, flags="DF"), TCP(sport=45000, dport=80, flags="S", seq=1000, options=timestamps)))
    inside_rx.append(syn)
    outside_tx.append(out(syn, src=public))
    synack = at(outside(IP(src=r1, dst=public, id=200, flags="DF"), TCP(sport=80, dport=45000, flags="SA", seq=5000, ack=1001, options=timestamps)))
    outside_rx.append(synack)
    inside_tx.append(out(synack, dst=a))
    # Super-frames from the client: 20,000 bytes with CWR (ECN), then 4,000 bytes ending in FIN.
    sequence = 1001
    for payload_length, flags, ident in ((20_000, "PA" + "C", 101), (4_000, "FPA", 115)):
        payload = bytes((index * 7 + payload_length) & 0xFF for index in range(payload_length))
        frame = at(partial_checksum(inside(IP(src=a, dst=r1, id=ident, flags="DF"),
                                           TCP(sport=45000, dport=80, flags=flags, seq=sequence, ack=5001, options=timestamps), payload)))
        inside_rx.append(frame)
        outside_tx.extend(tso_segments(frame, 1448, src=public))
        sequence += payload_length
    # A super-frame the other way: 9,000 bytes from the server to the client's mapping.
    payload = bytes((index * 13) & 0xFF for index in range(9_000))
    frame = at(partial_checksum(outside(IP(src=r1, dst=public, id=201, flags="DF"),
                                        TCP(sport=80, dport=45000, flags="PA", seq=5001, ack=sequence, options=timestamps), payload)))
    outside_rx.append(frame)
    inside_tx.extend(tso_segments(frame, 1448, dst=a))
    return inside_rx, outside_rx, inside_tx, outside_tx


def write_offload(directory):
    inside_rx, outside_rx, inside_tx, outside_tx = offload_traffic()
    wrpcap(os.path.join(directory, "offload-inside-rx.pcap"), inside_rx, linktype=1)
    wrpcap(os.path.join(directory, "offload-outside-rx.pcap"), outside_rx, linktype=1)
    wrpcap(os.path.join(directory, "offload-inside-tx-expected.pcap"), inside_tx, linktype=1)
    wrpcap(os.path.join(directory, "offload-outside-tx-expected.pcap"), outside_tx, linktype=1)


def lb_traffic():
    """Clients and backends of the load balancer (Tests/Fixtures/lb/lb.yaml): NAT mode with the
    replies going back from the VIP, DSR with only the MAC rewritten, and traffic for no service."""
    inside_rx, outside_rx, inside_tx, outside_tx = [], [], [], []
    clock = [Decimal(T0 + 300)]
    vip, client = "203.0.113.10", "198.51.100.7"

    def arrive(side, packet):
        clock[0] += Decimal(1) / 1000
        packet = Ether(raw(packet))
        packet.time = clock[0]
        (inside_rx if side == "inside" else outside_rx).append(packet)
        return packet

    def leave(side, packet, mac=None, **changes):
        after = Ether(raw(packet))
        if mac:
            after[Ether].dst = mac
        for field in ("src", "dst"):
            if field in changes:
                setattr(after[IP], field, changes[field])
        layer = after[TCP] if after.haslayer(TCP) else after[UDP]
        for field in ("sport", "dport"):
            if field in changes:
                setattr(layer, field, changes[field])
        if changes:
            after[IP].chksum = None
            layer.chksum = None
        after = Ether(raw(after))
        after.time = packet.time
        (inside_tx if side == "inside" else outside_tx).append(after)

    syn = arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src=client, dst=vip, id=1) /
                 TCP(sport=5555, dport=80, flags="S", seq=100))
    leave("inside", syn, dst="10.0.2.11", dport=8080)
    synack = arrive("inside", Ether(src="02:00:00:00:02:11", dst=LAN_MAC) / IP(src="10.0.2.11", dst=client, id=2) /
                    TCP(sport=8080, dport=5555, flags="SA", seq=900, ack=101))
    leave("outside", synack, src=vip, sport=80)
    ack = arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src=client, dst=vip, id=3) /
                 TCP(sport=5555, dport=80, flags="A", seq=101, ack=901))
    leave("inside", ack, dst="10.0.2.11", dport=8080)
    query = arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src=client, dst=vip, id=4) /
                   UDP(sport=6000, dport=53) / Raw(b"\x12\x34query"))
    leave("inside", query, mac="02:00:00:00:02:12")
    other = arrive("outside", Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src=client, dst=vip, id=5) /
                   TCP(sport=5556, dport=443, flags="S"))
    leave("inside", other)
    return inside_rx, outside_rx, inside_tx, outside_tx


def write_lb(directory):
    inside_rx, outside_rx, inside_tx, outside_tx = lb_traffic()
    wrpcap(os.path.join(directory, "lb-inside-rx.pcap"), inside_rx, linktype=1)
    wrpcap(os.path.join(directory, "lb-outside-rx.pcap"), outside_rx, linktype=1)
    wrpcap(os.path.join(directory, "lb-inside-tx-expected.pcap"), inside_tx, linktype=1)
    wrpcap(os.path.join(directory, "lb-outside-tx-expected.pcap"), outside_tx, linktype=1)


SWITCH_PORTS = ["a", "b", "c", "t"]   # a, b: access VLAN 10; c: access VLAN 20; t: trunk [10, 20]
HOST = {name: "02:00:00:00:05:%02x" % number for number, name in enumerate(["A", "B", "C", "T10", "T20", "X"], start=1)}


def switch_traffic():
    """Frames into a four-port switch and, written out by hand for each one, what every port
    must send: MAC learning per VLAN, flooding within the VLAN only, access ports untagged,
    the trunk tagged, nothing back out of the in-port, wrong VLANs dropped. Returns
    (rx per port, tx per port)."""
    rx = {port: [] for port in SWITCH_PORTS}
    tx = {port: [] for port in SWITCH_PORTS}
    clock = [Decimal(T0)]

    def frame(src, dst, vlan=None, payload=b"switch"):
        body = IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=4000, dport=5000) / Raw(payload)
        if vlan is None:
            return Ether(src=HOST.get(src, src), dst=HOST.get(dst, dst)) / body
        return Ether(src=HOST.get(src, src), dst=HOST.get(dst, dst)) / Dot1Q(vlan=vlan) / body

    def send(port, packet, to):
        """`packet` arrives on `port`; `to` maps each port that must send it to the VLAN tag it
        leaves with (None: untagged)."""
        clock[0] += Decimal(1) / 1000
        arriving = Ether(raw(packet))
        arriving.time = clock[0]
        rx[port].append(arriving)
        untagged = Ether(raw(packet))
        if Dot1Q in untagged:
            inner = untagged[Dot1Q].payload
            untagged = Ether(src=untagged.src, dst=untagged.dst, type=untagged[Dot1Q].type) / inner
        for out_port, vlan in to.items():
            leaving = Ether(raw(untagged)) if vlan is None else \
                Ether(src=untagged.src, dst=untagged.dst) / Dot1Q(vlan=vlan, type=untagged.type) / untagged.payload
            leaving = Ether(raw(leaving))
            leaving.time = clock[0]
            tx[out_port].append(leaving)

    send("a", frame("A", "B", payload=b"1 A->B unknown"), {"b": None, "t": 10})       # flood VLAN 10
    send("b", frame("B", "A", payload=b"2 B->A"), {"a": None})                        # A learnt on a
    send("t", frame("T20", "ff:ff:ff:ff:ff:ff", vlan=20, payload=b"3 bcast 20"), {"c": None})  # VLAN 20 only
    send("c", frame("C", "T20", payload=b"4 C->T20"), {"t": 20})                      # T20 learnt on t
    send("t", frame("T10", "A", vlan=10, payload=b"5 T10->A"), {"a": None})           # tag removed for a
    send("a", frame("A", "T10", payload=b"6 A->T10"), {"t": 10})                      # T10 learnt on t, VLAN 10
    send("c", frame("C", "A", payload=b"7 C->A other VLAN"), {"t": 20})               # A unknown in VLAN 20: flood 20
    send("a", frame("A", "B", vlan=10, payload=b"8 tagged on access"), {})            # dropped: tagged on an access port
    send("t", frame("X", "A", vlan=30, payload=b"9 VLAN 30"), {})                     # dropped: the trunk does not carry 30
    send("b", frame("B", "A", payload=b"10 B->A again"), {"a": None})
    return rx, tx


def write_switch(directory):
    rx, tx = switch_traffic()
    for port in SWITCH_PORTS:
        wrpcap(os.path.join(directory, "switch-%s-rx.pcap" % port), rx[port], linktype=1)
        wrpcap(os.path.join(directory, "switch-%s-tx-expected.pcap" % port), tx[port], linktype=1)


def paths_traffic():
    """Two service paths on one chain (Tests/NFVReplayTests/ServicePathReplayTests): web traffic
    to the VIP 203.0.113.10:80 takes firewall -> load balancer (one backend, 198.51.100.1:8080,
    NAT mode: destination rewritten, MACs untouched), everything else takes firewall -> router
    -> NAT (MACs rewritten, TTL - 1, source translated to 198.51.100.2). Each reply comes back
    through its own path's stages. Returns (inside_rx, outside_rx, inside_tx, outside_tx)."""
    inside_rx, outside_rx, inside_tx, outside_tx = [], [], [], []
    clock = [Decimal(T0)]

    def timed(packet):
        clock[0] += Decimal(1) / 1000
        packet = Ether(raw(packet))
        packet.time = clock[0]
        return packet

    def fresh(packet):
        """The packet with every checksum recomputed by scapy."""
        for layer in (IP, TCP, UDP):
            if layer in packet:
                del packet[layer].chksum
        return Ether(raw(packet))

    client, vip, backend, dns = "10.0.1.10", "203.0.113.10", "198.51.100.1", "203.0.113.53"
    # 1. The web SYN: the load balancer sends it to the backend.
    syn = Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst=vip) / TCP(sport=40000, dport=80, flags="S", seq=1000)
    inside_rx.append(timed(syn))
    outside_tx.append(timed(fresh(Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst=backend) /
                                  TCP(sport=40000, dport=8080, flags="S", seq=1000))))
    outside_tx[-1].time = inside_rx[-1].time
    # 2. The backend's SYN-ACK, which matches no path's reversed match: it comes back as the VIP.
    synack = Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src=backend, dst=client) / TCP(sport=8080, dport=40000, flags="SA", seq=5000, ack=1001)
    outside_rx.append(timed(synack))
    inside_tx.append(timed(fresh(Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src=vip, dst=client) /
                                 TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001))))
    inside_tx[-1].time = outside_rx[-1].time
    # 3. A DNS query takes the other path: routed (MACs, TTL) and translated.
    query = Ether(src=CLIENT_MAC, dst=LAN_MAC) / IP(src=client, dst=dns, ttl=64) / UDP(sport=5353, dport=53) / Raw(b"query")
    inside_rx.append(timed(query))
    outside_tx.append(timed(fresh(Ether(src=WAN_MAC, dst=UPSTREAM_MAC) / IP(src="198.51.100.2", dst=dns, ttl=63) /
                                  UDP(sport=5353, dport=53) / Raw(b"query"))))
    outside_tx[-1].time = inside_rx[-1].time
    # 4. Its answer, to the NAT's address: back through NAT, router and firewall.
    answer = Ether(src=UPSTREAM_MAC, dst=WAN_MAC) / IP(src=dns, dst="198.51.100.2", ttl=64) / UDP(sport=53, dport=5353) / Raw(b"answer")
    outside_rx.append(timed(answer))
    inside_tx.append(timed(fresh(Ether(src=LAN_MAC, dst=CLIENT_MAC) / IP(src=dns, dst=client, ttl=63) /
                                 UDP(sport=53, dport=5353) / Raw(b"answer"))))
    inside_tx[-1].time = outside_rx[-1].time
    return inside_rx, outside_rx, inside_tx, outside_tx


def write_paths(directory):
    inside_rx, outside_rx, inside_tx, outside_tx = paths_traffic()
    wrpcap(os.path.join(directory, "paths-inside-rx.pcap"), inside_rx, linktype=1)
    wrpcap(os.path.join(directory, "paths-outside-rx.pcap"), outside_rx, linktype=1)
    wrpcap(os.path.join(directory, "paths-inside-tx-expected.pcap"), inside_tx, linktype=1)
    wrpcap(os.path.join(directory, "paths-outside-tx-expected.pcap"), outside_tx, linktype=1)


def write_all(directory, demo_directory):
    os.makedirs(directory, exist_ok=True)
    os.makedirs(demo_directory, exist_ok=True)
    write_headers(directory)
    write_ttl(directory)
    packets, _, _ = ttl_traffic()
    wrpcap(os.path.join(demo_directory, "mixed-traffic.pcap"), packets, linktype=1)
    write_firewall(directory, demo_directory)
    write_router(directory, demo_directory)
    write_nat(directory, demo_directory)
    write_offload(directory)
    write_lb(directory)
    write_switch(directory)
    write_paths(directory)


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "packets")
DEMO = os.path.join(ROOT, "chains", "captures")


def main():
    if sys.argv[1:] == ["--check"]:
        with tempfile.TemporaryDirectory() as scratch:
            fixtures, demo = os.path.join(scratch, "f"), os.path.join(scratch, "d")
            write_all(fixtures, demo)
            problems = []
            for generated, committed in ((fixtures, FIXTURES), (demo, DEMO)):
                names = sorted(os.listdir(generated))
                _, mismatch, errors = filecmp.cmpfiles(generated, committed, names, shallow=False)
                problems += [os.path.join(committed, name) for name in mismatch + errors]
            if problems:
                print("committed fixtures differ from what scapy generates: " + ", ".join(problems))
                print("regenerate with: python3 Tests/Fixtures/generate.py")
                sys.exit(1)
            print("fixtures match what scapy generates")
        return
    if sys.argv[1:]:
        print(__doc__)
        sys.exit(2)
    write_all(FIXTURES, DEMO)


if __name__ == "__main__":
    main()
