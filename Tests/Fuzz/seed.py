#!/usr/bin/env python3
"""Writes the seed corpus of every nfv-fuzz target into DIRECTORY/<target>/ (make fuzz).

Seeds come from the repository: the frames of every capture under Tests/Fixtures (the header
cases, well-formed and malformed, among them) and chains/captures, every
shipped chain and VNF configuration, and the flows of the switch configurations and of the flow-syntax tests.
Stage targets get each frame twice, arriving on port 0 and on port 1 (the first byte). Inputs
that once crashed a target, under Tests/Fuzz/regressions/TARGET/, are seeds of that target.

Usage: Tests/Fuzz/seed.py DIRECTORY     (run from the repository root)
"""
import glob
import hashlib
import os
import re
import struct
import sys

PACKET_TARGETS = ["parser", "icmp-quote", "replies"]
STAGE_TARGETS = ["firewall", "router", "nat", "load-balancer", "switch"]


def pcap_frames(path):
    """Frames of a classic pcap file (either byte order, micro- or nanosecond)."""
    with open(path, "rb") as handle:
        data = handle.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return []  # pcapng and others: not seeds
    frames, offset = [], 24
    while offset + 16 <= len(data):
        _, _, captured, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        offset += 16
        frames.append(data[offset:offset + captured])
        offset += captured
    return frames


def write(directory, target, content):
    folder = os.path.join(directory, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(content).hexdigest()
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(content)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    directory = sys.argv[1]
    frames = []
    for path in sorted(glob.glob("Tests/Fixtures/packets/*.pcap") + glob.glob("chains/captures/*-rx.pcap")
                       + glob.glob("Tests/Fixtures/*/*.pcap")):
        frames += pcap_frames(path)
    frames = list(dict.fromkeys(frames))
    for frame in frames:
        for target in PACKET_TARGETS:
            write(directory, target, frame)
        for target in STAGE_TARGETS:
            for port in (0, 1):
                write(directory, target, bytes([port]) + frame)
    documents = sorted(glob.glob("chains/*.yaml") + glob.glob("vnf-configs/*.yaml") + glob.glob("Tests/Fixtures/differential/*.yaml")
                       + glob.glob("bench/workloads/*.yaml"))
    flows = []
    for path in documents:
        with open(path, "rb") as handle:
            text = handle.read()
        write(directory, "descriptors", text)
        flows += re.findall(rb'"((?:priority|table|in_port|dl_|nw_|tp_|ip|tcp|udp|arp|actions)[^"]*)"', text)
    for path in sorted(glob.glob("Tests/NFVSwitchTests/*.swift") + glob.glob("vnf-configs/*.yaml")):
        with open(path, "rb") as handle:
            flows += re.findall(rb'"([^"\n]*actions=[^"\n]*)"', handle.read())
    for flow in flows + [b"priority=100,in_port=1,tcp,tp_dst=80,actions=output:2",
                         b"table=0,dl_vlan=10,actions=strip_vlan,goto_table:1", b"ip,nw_src=10.0.0.0/8,actions=drop"]:
        write(directory, "flow-syntax", flow)
    # OpenFlow: os-ken's messages (Tests/Fixtures/openflow/of13).
    for path in sorted(glob.glob("Tests/Fixtures/openflow/of13/*.packet")):
        with open(path, "rb") as handle:
            write(directory, "openflow", handle.read())
    # Inputs that once crashed a target (Tests/Fuzz/regressions/TARGET/): always in its seeds.
    for path in sorted(glob.glob("Tests/Fuzz/regressions/*/*")):
        with open(path, "rb") as handle:
            write(directory, os.path.basename(os.path.dirname(path)), handle.read())
    print(f"seeded {len(frames)} frames and {len(documents)} documents into {directory}")


if __name__ == "__main__":
    main()
