import NFVPacket

/// Turns a frame into a list of named fields that together cover every byte of it, for people
/// and for comparing captures field by field (`nfv-orch replay --expect`). Not for the hot
/// path: it allocates strings.
///
/// Headers are described only as far as `PacketParser` validated them; a malformed frame gets
/// a `malformed` field with the parser's reason and the rest as `payload`.
public enum PacketDissector {
    /// Every field name the dissector gives (and `frame.time`, which the comparison adds):
    /// what `--ignore` accepts, as a name or as its layer (the part before the dot). A test
    /// dissects every fixture capture and checks that nothing it finds is missing here.
    public static let fieldNames: Set<String> = {
        var names: Set<String> = [
            "frame.len", "frame.time", "malformed", "payload", "eth.dst", "eth.src", "eth.type", "eth.padding",
            "arp.hwtype", "arp.ptype", "arp.hwlen", "arp.plen", "arp.op", "arp.sha", "arp.spa", "arp.tha", "arp.tpa",
            "ipv4.version", "ipv4.ihl", "ipv4.dscp", "ipv4.ecn", "ipv4.len", "ipv4.id", "ipv4.flags", "ipv4.frag", "ipv4.ttl",
            "ipv4.proto", "ipv4.checksum", "ipv4.src", "ipv4.dst", "ipv4.options",
            "ipv6.version", "ipv6.tc", "ipv6.flow", "ipv6.plen", "ipv6.nh", "ipv6.hlim", "ipv6.src", "ipv6.dst", "ipv6.ext",
            "tcp.sport", "tcp.dport", "tcp.seq", "tcp.ack", "tcp.dataofs", "tcp.reserved", "tcp.flags", "tcp.window",
            "tcp.checksum", "tcp.urgptr", "tcp.options", "udp.sport", "udp.dport", "udp.len", "udp.checksum",
        ]
        for layer in ["vlan", "vlan2"] { for field in ["pcp", "dei", "vid", "type"] { names.insert("\(layer).\(field)") } }
        for layer in ["icmp", "icmpv6"] { for field in ["type", "code", "checksum"] { names.insert("\(layer).\(field)") } }
        return names
    }()

    /// The layers (`ipv4`, `tcp`...) of `fieldNames`.
    public static var layers: Set<String> { Set(fieldNames.map { String($0.prefix { $0 != "." }) }) }

    /// Whether `--ignore NAME` names a field or a layer (`ipv4`, `ipv4.*`) of the dissector.
    public static func isKnown(_ name: String) -> Bool {
        let bare = name.hasSuffix(".*") ? String(name.dropLast(2)) : name
        return fieldNames.contains(bare) || layers.contains(bare)
    }

    /// The fields of `frame`, in wire order.
    public static func fields(of frame: [UInt8]) -> [PacketField] {
        var bytes = frame
        return bytes.withUnsafeMutableBytes { buffer in
            dissect(buffer)
        }
    }

    static func dissect(_ buffer: UnsafeMutableRawBufferPointer) -> [PacketField] {
        var fields = [PacketField("frame.len", "\(buffer.count)")]
        guard let frame = buffer.baseAddress, buffer.count >= EthernetHeader.byteCount else {
            fields.append(PacketField("malformed", DropReason.truncatedEthernet.name))
            fields.append(PacketField("payload", hex(buffer, 0, buffer.count)))
            return fields
        }
        var metadata = PacketMetadata(
            id: 0, dataOffset: 0, length: UInt16(truncatingIfNeeded: buffer.count),
            inPort: 0, timestamp: 0)
        let reason = PacketParser.parse(frame, metadata: &metadata)
        let ethernet = EthernetHeader(frame)
        fields.append(PacketField("eth.dst", "\(ethernet.destination)"))
        fields.append(PacketField("eth.src", "\(ethernet.source)"))
        fields.append(PacketField("eth.type", hex16(ethernet.etherType)))
        var offset = EthernetHeader.byteCount
        var tagIndex = 1
        while offset + 4 <= buffer.count, EtherType.isVLANTag(frame.loadNetworkUInt16(at: offset - 2)), tagIndex <= 2 {
            let tag = VLANTag(frame + offset)
            let layer = tagIndex == 1 ? "vlan" : "vlan\(tagIndex)"
            fields.append(PacketField("\(layer).pcp", "\(tag.priority)"))
            fields.append(PacketField("\(layer).dei", tag.dropEligible ? "1" : "0"))
            fields.append(PacketField("\(layer).vid", "\(tag.vlanID)"))
            fields.append(PacketField("\(layer).type", hex16(tag.innerEtherType)))
            offset += 4
            tagIndex += 1
        }
        if reason != .none {
            fields.append(PacketField("malformed", reason.name))
            fields.append(PacketField("payload", hex(buffer, offset, buffer.count)))
            return fields
        }
        var end = buffer.count  // end of what the L3 header says it covers
        let l3 = Int(metadata.l3Offset)
        var payloadStart = l3
        if metadata.flags.contains(.ipv4) {
            let ip = IPv4Header(frame + l3)
            end = l3 + Int(ip.totalLength)
            fields += [
                PacketField("ipv4.version", "\(ip.version)"), PacketField("ipv4.ihl", "\(ip.headerLengthWords)"),
                PacketField("ipv4.dscp", "\(ip.dscp)"), PacketField("ipv4.ecn", "\(ip.ecn)"),
                PacketField("ipv4.len", "\(ip.totalLength)"), PacketField("ipv4.id", "\(ip.identification)"),
                PacketField("ipv4.flags", ipv4Flags(ip.flagsAndFragmentOffset)),
                PacketField("ipv4.frag", "\(ip.fragmentOffset)"), PacketField("ipv4.ttl", "\(ip.ttl)"),
                PacketField("ipv4.proto", "\(ip.protocol)"), PacketField("ipv4.checksum", hex16(ip.checksum)),
                PacketField("ipv4.src", "\(ip.source)"), PacketField("ipv4.dst", "\(ip.destination)"),
                PacketField("ipv4.options", hex(buffer, l3 + 20, l3 + ip.headerByteCount)),
            ]
            payloadStart = l3 + ip.headerByteCount
        } else if metadata.flags.contains(.ipv6) {
            let ip = IPv6Header(frame + l3)
            end = l3 + IPv6Header.byteCount + Int(ip.payloadLength)
            fields += [
                PacketField("ipv6.version", "\(ip.version)"), PacketField("ipv6.tc", "\(ip.trafficClass)"),
                PacketField("ipv6.flow", "\(ip.flowLabel)"), PacketField("ipv6.plen", "\(ip.payloadLength)"),
                PacketField("ipv6.nh", "\(ip.nextHeader)"), PacketField("ipv6.hlim", "\(ip.hopLimit)"),
                PacketField("ipv6.src", "\(ip.source)"), PacketField("ipv6.dst", "\(ip.destination)"),
            ]
            let upper = metadata.l4Offset != 0 ? Int(metadata.l4Offset) : end
            fields.append(PacketField("ipv6.ext", hex(buffer, l3 + IPv6Header.byteCount, max(l3 + IPv6Header.byteCount, upper))))
            payloadStart = max(l3 + IPv6Header.byteCount, upper)
        } else if metadata.etherType == EtherType.arp {
            let arp = ARPHeader(frame + l3)
            fields += [
                PacketField("arp.hwtype", "\(arp.hardwareType)"), PacketField("arp.ptype", hex16(arp.protocolType)),
                PacketField("arp.hwlen", "\(arp.hardwareAddressLength)"),
                PacketField("arp.plen", "\(arp.protocolAddressLength)"), PacketField("arp.op", "\(arp.operation)"),
            ]
            if arp.isEthernetIPv4 {
                fields += [
                    PacketField("arp.sha", "\(arp.senderMAC)"), PacketField("arp.spa", "\(arp.senderIP)"),
                    PacketField("arp.tha", "\(arp.targetMAC)"), PacketField("arp.tpa", "\(arp.targetIP)"),
                ]
                payloadStart = l3 + ARPHeader.byteCount
            } else {
                payloadStart = l3 + 8
            }
        }
        if metadata.flags.contains(.hasL4) {
            let l4 = Int(metadata.l4Offset)
            switch metadata.ipProtocol {
            case IPProtocol.tcp:
                let tcp = TCPHeader(frame + l4)
                fields += [
                    PacketField("tcp.sport", "\(tcp.sourcePort)"), PacketField("tcp.dport", "\(tcp.destinationPort)"),
                    PacketField("tcp.seq", "\(tcp.sequenceNumber)"), PacketField("tcp.ack", "\(tcp.acknowledgmentNumber)"),
                    PacketField("tcp.dataofs", "\(tcp.headerByteCount / 4)"),
                    PacketField("tcp.reserved", "\(frame.loadByte(at: l4 + 12) & 0x0F)"),
                    PacketField("tcp.flags", "\(tcp.flags)"), PacketField("tcp.window", "\(tcp.window)"),
                    PacketField("tcp.checksum", hex16(tcp.checksum)), PacketField("tcp.urgptr", "\(tcp.urgentPointer)"),
                    PacketField("tcp.options", hex(buffer, l4 + 20, l4 + tcp.headerByteCount)),
                ]
                payloadStart = l4 + tcp.headerByteCount
            case IPProtocol.udp:
                let udp = UDPHeader(frame + l4)
                fields += [
                    PacketField("udp.sport", "\(udp.sourcePort)"), PacketField("udp.dport", "\(udp.destinationPort)"),
                    PacketField("udp.len", "\(udp.length)"), PacketField("udp.checksum", hex16(udp.checksum)),
                ]
                payloadStart = l4 + UDPHeader.byteCount
            case IPProtocol.icmp, IPProtocol.icmpv6:
                let layer = metadata.ipProtocol == IPProtocol.icmp ? "icmp" : "icmpv6"
                let icmp = ICMPHeader(frame + l4)
                fields += [
                    PacketField("\(layer).type", "\(icmp.type)"), PacketField("\(layer).code", "\(icmp.code)"),
                    PacketField("\(layer).checksum", hex16(icmp.checksum)),
                ]
                payloadStart = l4 + 4
            default:
                payloadStart = l4
            }
        }
        fields.append(PacketField("payload", hex(buffer, payloadStart, min(end, buffer.count))))
        if end < buffer.count {
            fields.append(PacketField("eth.padding", hex(buffer, end, buffer.count)))
        }
        return fields
    }

    static func ipv4Flags(_ field: UInt16) -> String {
        var names: [String] = []
        if field & 0x8000 != 0 { names.append("evil") }
        if field & 0x4000 != 0 { names.append("DF") }
        if field & 0x2000 != 0 { names.append("MF") }
        return names.isEmpty ? "none" : names.joined(separator: "+")
    }

    static func hex16(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }

    static func hex(_ buffer: UnsafeMutableRawBufferPointer, _ start: Int, _ end: Int) -> String {
        guard start < end, end <= buffer.count else { return "" }
        var text = ""
        text.reserveCapacity((end - start) * 2)
        let digits = Array("0123456789abcdef")
        for index in start..<end {
            text.append(digits[Int(buffer[index] >> 4)])
            text.append(digits[Int(buffer[index] & 0x0F)])
        }
        return text
    }
}
