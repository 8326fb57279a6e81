/// Builds the packets a network function sends in answer to another packet: a TCP reset
/// (RFC 9293 section 3.10.7.1) and ICMP / ICMPv6 error messages that quote the offending
/// packet (RFC 792 and RFC 1812 section 4.3.2.3; RFC 4443 section 2.4). The reply goes back to
/// the sender: Ethernet addresses swapped, VLAN tags kept.
public enum ReplyBuilder {
    /// TTL / hop limit of generated packets (Linux's default).
    public static let defaultTTL: UInt8 = 64

    /// Writes a TCP RST answering the TCP segment in `original` (parsed, `metadata`) into
    /// `output`, which must hold at least `metadata.l3Offset + 60` bytes; returns the frame
    /// length, or nil when the original is not a TCP segment with its header, or is itself a
    /// RST (never answer a RST).
    ///
    /// As RFC 9293 says: if the segment has ACK, the reset is `<SEQ=SEG.ACK><CTL=RST>`;
    /// otherwise `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`, where SEG.LEN counts SYN and FIN.
    /// The reset comes from the segment's destination (the host it was meant for).
    public static func tcpReset(
        original: UnsafeMutableRawPointer, metadata: PacketMetadata,
        output: UnsafeMutableRawPointer
    ) -> Int? {
        let l3 = Int(metadata.l3Offset)
        let l4 = Int(metadata.l4Offset)
        guard metadata.ipProtocol == IPProtocol.tcp, metadata.flags.contains(.hasL4),
            metadata.flags.contains(.ipv4) || metadata.flags.contains(.ipv6)
        else { return nil }
        let tcp = TCPHeader(original + l4)
        guard !tcp.flags.contains(.rst) else { return nil }
        let isIPv4 = metadata.flags.contains(.ipv4)
        let ipEnd =
            isIPv4
            ? l3 + Int(IPv4Header(original + l3).totalLength)
            : l3 + 40 + Int(IPv6Header(original + l3).payloadLength)
        var segmentLength = UInt32(ipEnd - l4 - tcp.headerByteCount)
        if tcp.flags.contains(.syn) { segmentLength += 1 }
        if tcp.flags.contains(.fin) { segmentLength += 1 }
        let headerLength = copyLinkHeader(original: original, l3Offset: l3, output: output)
        let out = output + headerLength
        let l4Out: Int
        if isIPv4 {
            // As Linux's nf_send_reset: TOS 0, DF set.
            writeIPv4(
                out, source: IPv4Header(original + l3).destination, destination: IPv4Header(original + l3).source,
                protocol: IPProtocol.tcp, payloadLength: 20, typeOfService: 0, dontFragment: true)
            l4Out = headerLength + 20
        } else {
            writeIPv6(
                out, source: IPv6Header(original + l3).destination, destination: IPv6Header(original + l3).source,
                nextHeader: IPProtocol.tcp, payloadLength: 20)
            l4Out = headerLength + 40
        }
        let reset = output + l4Out
        reset.storeNetworkUInt16(tcp.destinationPort, at: 0)
        reset.storeNetworkUInt16(tcp.sourcePort, at: 2)
        if tcp.flags.contains(.ack) {
            reset.storeNetworkUInt32(tcp.acknowledgmentNumber, at: 4)
            reset.storeNetworkUInt32(0, at: 8)
            reset.storeByte(0x50, at: 12)
            reset.storeByte(TCPFlags.rst.rawValue, at: 13)
        } else {
            reset.storeNetworkUInt32(0, at: 4)
            reset.storeNetworkUInt32(tcp.sequenceNumber &+ segmentLength, at: 8)
            reset.storeByte(0x50, at: 12)
            reset.storeByte(TCPFlags([.rst, .ack]).rawValue, at: 13)
        }
        reset.storeNetworkUInt32(0, at: 14)  // window 0, checksum 0 (filled below)
        reset.storeNetworkUInt16(0, at: 18)
        reset.storeNetworkUInt16(
            transportChecksum(
                output, l3Offset: headerLength, l4Offset: l4Out, length: 20,
                protocol: IPProtocol.tcp, isIPv4: isIPv4), at: 16)
        return l4Out + 20
    }

    /// Writes an ICMP (IPv4) or ICMPv6 error of `type`/`code` about the packet in `original`
    /// into `output`; `source` is the address the error comes from; `rest` fills bytes 4-7 of
    /// the ICMP header (the next-hop MTU for fragmentation needed / packet too big). The quote
    /// holds as much of the original IP packet as fits in 576 bytes (IPv4) or 1280 bytes
    /// (IPv6) of error. Returns the frame length, or nil when the rules forbid an error: the
    /// original is not IP, is an ICMP error itself, a non-first fragment, or sent to/from a
    /// multicast or broadcast address.
    public static func icmpError(
        type: UInt8, code: UInt8, rest: UInt32 = 0, source: IPv6Address,
        original: UnsafeMutableRawPointer, metadata: PacketMetadata,
        output: UnsafeMutableRawPointer
    ) -> Int? {
        let l3 = Int(metadata.l3Offset)
        let flags = metadata.flags
        guard !flags.contains(.laterFragment), flags.contains(.ipv4) || flags.contains(.ipv6) else { return nil }
        let isIPv4 = flags.contains(.ipv4)
        if flags.contains(.hasL4) {
            let l4 = Int(metadata.l4Offset)
            if isIPv4, metadata.ipProtocol == IPProtocol.icmp, ICMPQuote.isErrorV4(type: original.loadByte(at: l4)) { return nil }
            if !isIPv4, metadata.ipProtocol == IPProtocol.icmpv6, original.loadByte(at: l4) < 128 { return nil }
        }
        let ipLength: Int
        let originalSource: IPv6Address
        if isIPv4 {
            let ip = IPv4Header(original + l3)
            guard !ip.destination.isMulticast, ip.destination != .limitedBroadcast,
                !ip.source.isMulticast, ip.source != .any
            else { return nil }
            ipLength = Int(ip.totalLength)
            originalSource = IPv6Address(ipv4Mapped: ip.source)
        } else {
            let ip = IPv6Header(original + l3)
            guard !ip.destination.isMulticast, !ip.source.isMulticast, ip.source != .unspecified else { return nil }
            ipLength = 40 + Int(ip.payloadLength)
            originalSource = ip.source
        }
        let quoteLength = min(ipLength, isIPv4 ? 576 - 28 : 1280 - 48)
        let headerLength = copyLinkHeader(original: original, l3Offset: l3, output: output)
        let out = output + headerLength
        let icmpOffset: Int
        if isIPv4 {
            guard let from = source.ipv4Mapped, let to = originalSource.ipv4Mapped else { return nil }
            // RFC 1812 4.3.2.5: ICMP errors go with precedence 6 (internetwork control), the
            // original's TOS bits kept, as Linux's icmp_send does; and without DF (Linux's ICMP
            // socket does not set it), so a router on the way back may fragment the error.
            let typeOfService = Self.errorPrecedence | original.loadByte(at: l3 + 1) & 0x1E
            writeIPv4(
                out, source: from, destination: to, protocol: IPProtocol.icmp, payloadLength: 8 + quoteLength,
                typeOfService: typeOfService, dontFragment: false)
            icmpOffset = headerLength + 20
        } else {
            writeIPv6(out, source: source, destination: originalSource, nextHeader: IPProtocol.icmpv6, payloadLength: 8 + quoteLength)
            icmpOffset = headerLength + 40
        }
        let icmp = output + icmpOffset
        icmp.storeByte(type, at: 0)
        icmp.storeByte(code, at: 1)
        icmp.storeNetworkUInt16(0, at: 2)
        icmp.storeNetworkUInt32(rest, at: 4)
        (icmp + 8).copyMemory(from: original + l3, byteCount: quoteLength)
        let checksum: UInt16
        if isIPv4 {
            checksum = InternetChecksum.checksum(UnsafeRawPointer(icmp), byteCount: 8 + quoteLength)
        } else {
            checksum = transportChecksum(
                output, l3Offset: headerLength, l4Offset: icmpOffset, length: 8 + quoteLength,
                protocol: IPProtocol.icmpv6, isIPv4: false)
        }
        icmp.storeNetworkUInt16(checksum, at: 2)
        return icmpOffset + 8 + quoteLength
    }

    /// The most bytes an error frame can take: link header (with two VLAN tags) + 1280.
    public static let maximumErrorFrameByteCount = 22 + 1280

    /// Copies the link header (Ethernet and VLAN tags) with the MAC addresses swapped.
    static func copyLinkHeader(original: UnsafeMutableRawPointer, l3Offset: Int, output: UnsafeMutableRawPointer) -> Int {
        output.copyMemory(from: original, byteCount: l3Offset)
        let destination = MACAddress(loadingFrom: original, at: 0)
        let source = MACAddress(loadingFrom: original, at: 6)
        source.store(to: output, at: 0)
        destination.store(to: output, at: 6)
        return l3Offset
    }

    /// The TOS of ICMP errors: precedence 6, internetwork control (RFC 1812 4.3.2.5).
    public static let errorPrecedence: UInt8 = 0xC0

    static func writeIPv4(
        _ header: UnsafeMutableRawPointer, source: IPv4Address, destination: IPv4Address,
        protocol ipProtocol: UInt8, payloadLength: Int, typeOfService: UInt8, dontFragment: Bool
    ) {
        header.storeByte(0x45, at: 0)
        header.storeByte(typeOfService, at: 1)
        header.storeNetworkUInt16(UInt16(20 + payloadLength), at: 2)
        header.storeNetworkUInt16(0, at: 4)  // identification
        header.storeNetworkUInt16(dontFragment ? 0x4000 : 0, at: 6)
        header.storeByte(defaultTTL, at: 8)
        header.storeByte(ipProtocol, at: 9)
        header.storeNetworkUInt16(0, at: 10)
        header.storeNetworkUInt32(source.rawValue, at: 12)
        header.storeNetworkUInt32(destination.rawValue, at: 16)
        IPv4Header(header).updateChecksum()
    }

    static func writeIPv6(
        _ header: UnsafeMutableRawPointer, source: IPv6Address, destination: IPv6Address,
        nextHeader: UInt8, payloadLength: Int
    ) {
        header.storeNetworkUInt32(0x6000_0000, at: 0)
        header.storeNetworkUInt16(UInt16(payloadLength), at: 4)
        header.storeByte(nextHeader, at: 6)
        header.storeByte(defaultTTL, at: 7)
        source.store(to: header, at: 8)
        destination.store(to: header, at: 24)
    }

    /// The TCP/UDP/ICMPv6 checksum over the pseudo-header and `length` bytes at `l4Offset`.
    static func transportChecksum(
        _ frame: UnsafeMutableRawPointer, l3Offset: Int, l4Offset: Int, length: Int,
        protocol ipProtocol: UInt8, isIPv4: Bool
    ) -> UInt16 {
        let pseudo: UInt32
        if isIPv4 {
            let ip = IPv4Header(frame + l3Offset)
            pseudo = InternetChecksum.pseudoHeaderSum(
                source: ip.source, destination: ip.destination,
                protocol: ipProtocol, length: length)
        } else {
            let ip = IPv6Header(frame + l3Offset)
            pseudo = InternetChecksum.pseudoHeaderSum(
                source: ip.source, destination: ip.destination,
                nextHeader: ipProtocol, length: length)
        }
        return InternetChecksum.checksum(UnsafeRawPointer(frame + l4Offset), byteCount: length, initial: pseudo)
    }
}
