import NFVPacket

/// Builds the frames a router sends on its own behalf: ARP requests and replies (RFC 826),
/// neighbour solicitations and advertisements (RFC 4861), echo replies (RFC 792, RFC 4443).
enum NeighborMessages {
    /// An ARP request for `target` from `senderMAC`/`senderIP`, broadcast; returns the length.
    static func arpRequest(
        target: IPv4Address, senderMAC: MACAddress, senderIP: IPv4Address,
        output: UnsafeMutableRawPointer
    ) -> Int {
        arp(
            operation: ARPHeader.request, destinationMAC: .broadcast, senderMAC: senderMAC, senderIP: senderIP,
            targetMAC: .zero, targetIP: target, output: output)
    }

    /// An ARP packet in an Ethernet frame (42 bytes).
    static func arp(
        operation: UInt16, destinationMAC: MACAddress, senderMAC: MACAddress, senderIP: IPv4Address,
        targetMAC: MACAddress, targetIP: IPv4Address, output: UnsafeMutableRawPointer
    ) -> Int {
        let ethernet = EthernetHeader(output)
        ethernet.destination = destinationMAC
        ethernet.source = senderMAC
        ethernet.etherType = EtherType.arp
        let arp = output + 14
        arp.storeNetworkUInt16(1, at: 0)
        arp.storeNetworkUInt16(EtherType.ipv4, at: 2)
        arp.storeByte(6, at: 4)
        arp.storeByte(4, at: 5)
        let header = ARPHeader(arp)
        header.operation = operation
        header.senderMAC = senderMAC
        header.senderIP = senderIP
        header.targetMAC = targetMAC
        header.targetIP = targetIP
        return 42
    }

    /// The solicited-node multicast address of `address` (ff02::1:ffXX:XXXX).
    static func solicitedNode(_ address: IPv6Address) -> IPv6Address {
        IPv6Address(high: 0xFF02_0000_0000_0000, low: 0x0000_0001_FF00_0000 | (address.low & 0xFF_FFFF))
    }

    /// A neighbour solicitation (type 135) for `target` with our link-layer address option,
    /// or a neighbour advertisement (type 136) for `target` with the target link-layer option.
    static func neighborMessage(
        type: UInt8, flags: UInt32, target: IPv6Address, source: IPv6Address,
        destination: IPv6Address, sourceMAC: MACAddress, destinationMAC: MACAddress,
        output: UnsafeMutableRawPointer
    ) -> Int {
        let ethernet = EthernetHeader(output)
        ethernet.destination = destinationMAC
        ethernet.source = sourceMAC
        ethernet.etherType = EtherType.ipv6
        let ip = output + 14
        ip.storeNetworkUInt32(0x6000_0000, at: 0)
        ip.storeNetworkUInt16(32, at: 4)
        ip.storeByte(IPProtocol.icmpv6, at: 6)
        ip.storeByte(255, at: 7)  // RFC 4861: hop limit 255 on every ND message
        source.store(to: ip, at: 8)
        destination.store(to: ip, at: 24)
        let icmp = ip + 40
        icmp.storeByte(type, at: 0)
        icmp.storeByte(0, at: 1)
        icmp.storeNetworkUInt16(0, at: 2)
        icmp.storeNetworkUInt32(flags, at: 4)
        target.store(to: icmp, at: 8)
        icmp.storeByte(type == 135 ? 1 : 2, at: 24)  // source / target link-layer address option
        icmp.storeByte(1, at: 25)
        sourceMAC.store(to: icmp, at: 26)
        let pseudo = InternetChecksum.pseudoHeaderSum(
            source: source, destination: destination,
            nextHeader: IPProtocol.icmpv6, length: 32)
        icmp.storeNetworkUInt16(InternetChecksum.checksum(UnsafeRawPointer(icmp), byteCount: 32, initial: pseudo), at: 2)
        return 14 + 40 + 32
    }

    /// An echo reply to the echo request in `original` (ICMP or ICMPv6), from `source`:
    /// identifier, sequence and data copied, fresh IP header (TTL / hop limit 64).
    static func echoReply(
        original: UnsafeMutableRawPointer, metadata: PacketMetadata, source: IPv6Address,
        output: UnsafeMutableRawPointer
    ) -> Int {
        let l3 = Int(metadata.l3Offset)
        let l4 = Int(metadata.l4Offset)
        let isIPv4 = metadata.flags.contains(.ipv4)
        let end = isIPv4 ? l3 + Int(IPv4Header(original + l3).totalLength) : l3 + 40 + Int(IPv6Header(original + l3).payloadLength)
        let icmpLength = end - l4
        output.copyMemory(from: original, byteCount: l3)
        MACAddress(loadingFrom: original, at: 6).store(to: output, at: 0)
        MACAddress(loadingFrom: original, at: 0).store(to: output, at: 6)
        let ip = output + l3
        let icmpOffset: Int
        if isIPv4 {
            let header = IPv4Header(original + l3)
            ip.storeByte(0x45, at: 0)
            ip.storeByte(0, at: 1)
            ip.storeNetworkUInt16(UInt16(20 + icmpLength), at: 2)
            ip.storeNetworkUInt32(0, at: 4)  // identification 0, no flags
            ip.storeByte(64, at: 8)
            ip.storeByte(IPProtocol.icmp, at: 9)
            ip.storeNetworkUInt16(0, at: 10)
            ip.storeNetworkUInt32(source.ipv4Mapped?.rawValue ?? 0, at: 12)
            ip.storeNetworkUInt32(header.source.rawValue, at: 16)
            IPv4Header(ip).updateChecksum()
            icmpOffset = l3 + 20
        } else {
            let header = IPv6Header(original + l3)
            ip.storeNetworkUInt32(0x6000_0000, at: 0)
            ip.storeNetworkUInt16(UInt16(icmpLength), at: 4)
            ip.storeByte(IPProtocol.icmpv6, at: 6)
            ip.storeByte(64, at: 7)
            source.store(to: ip, at: 8)
            header.source.store(to: ip, at: 24)
            icmpOffset = l3 + 40
        }
        let icmp = output + icmpOffset
        icmp.copyMemory(from: original + l4, byteCount: icmpLength)
        icmp.storeByte(isIPv4 ? ICMPHeader.echoReply : ICMPHeader.echoReplyV6, at: 0)
        icmp.storeNetworkUInt16(0, at: 2)
        let checksum: UInt16
        if isIPv4 {
            checksum = InternetChecksum.checksum(UnsafeRawPointer(icmp), byteCount: icmpLength)
        } else {
            let header = IPv6Header(ip)
            let pseudo = InternetChecksum.pseudoHeaderSum(
                source: header.source, destination: header.destination,
                nextHeader: IPProtocol.icmpv6, length: icmpLength)
            checksum = InternetChecksum.checksum(UnsafeRawPointer(icmp), byteCount: icmpLength, initial: pseudo)
        }
        icmp.storeNetworkUInt16(checksum, at: 2)
        return icmpOffset + icmpLength
    }
}
