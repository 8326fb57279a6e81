/// Parses Ethernet, up to two VLAN tags, ARP, IPv4 (options, fragments), IPv6 (extension
/// header walk) and the TCP, UDP, ICMP and ICMPv6 headers of a frame, filling the offsets and
/// flags of its `PacketMetadata`.
///
/// Every length is checked before a byte is read: a frame is either fully described by the
/// metadata or classified with a `DropReason`. L4 headers are bounded by the IP length, not the
/// frame length, so Ethernet padding is never mistaken for payload. Unknown EtherTypes and
/// protocols are not errors: such packets are described as far as the parser understands them.
public enum PacketParser {
    /// How many IPv6 extension headers the walk follows before giving up.
    @inlinable public static var maximumIPv6ExtensionHeaders: Int { 8 }

    /// Parses the frame of `metadata` at `frame`; returns `.none` on success.
    ///
    /// The common frame (untagged IPv4 without options, not fragmented, carrying TCP or UDP
    /// whose lengths check out) is recognised with a handful of loads and compares; every
    /// other frame takes `parseGeneral`, which gives the same result for the common frame.
    @inlinable @inline(__always)
    public static func parse(_ frame: UnsafeMutableRawPointer, metadata: inout PacketMetadata) -> DropReason {
        let length = Int(metadata.length)
        if length >= 54 {
            // Bytes 12...14 are EtherType 0x0800 and version/IHL 0x45 (little-endian load).
            let head = frame.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
            let totalLength = Int(frame.loadNetworkUInt16(at: 16))
            let fragmentField = frame.loadNetworkUInt16(at: 20)
            let ipProtocol = frame.loadByte(at: 23)
            if head & 0x00FF_FFFF == 0x0045_0008, totalLength &+ 14 <= length, fragmentField & 0x3FFF == 0 {
                // IP payload bytes; negative when the total length is below the header, which
                // then fails the checks below and goes to the general parser.
                let available = totalLength &- 20
                var valid = false
                if ipProtocol == 17 {
                    let udpLength = Int(frame.loadNetworkUInt16(at: 38))
                    valid = udpLength >= 8 && udpLength <= available  // implies available >= 8
                } else if ipProtocol == 6 {
                    let tcpLength = Int(frame.loadByte(at: 46) >> 4) &* 4
                    valid = tcpLength >= 20 && tcpLength <= available  // implies available >= 20
                }
                if valid {
                    metadata.l3Offset = 14
                    metadata.l4Offset = 34
                    metadata.etherType = EtherType.ipv4
                    metadata.ipProtocol = ipProtocol
                    metadata.flags = [.parsed, .ipv4, .hasL4]
                    return .none
                }
            }
        }
        return parseGeneral(frame, metadata: &metadata)
    }

    /// The complete parser: every EtherType, VLAN tags, IPv4 options and fragments, IPv6
    /// extension headers. `parse` uses it for every frame its fast path does not cover.
    @inlinable
    public static func parseGeneral(_ frame: UnsafeMutableRawPointer, metadata: inout PacketMetadata) -> DropReason {
        let length = Int(metadata.length)
        var flags: PacketFlags = .parsed
        guard length >= EthernetHeader.byteCount else { return .truncatedEthernet }
        var etherType = frame.loadNetworkUInt16(at: 12)
        var offset = EthernetHeader.byteCount
        if EtherType.isVLANTag(etherType) {
            guard length >= offset &+ 4 else { return .truncatedVLAN }
            metadata.vlanID = frame.loadNetworkUInt16(at: offset) & 0x0FFF
            etherType = frame.loadNetworkUInt16(at: offset &+ 2)
            offset &+= 4
            flags.insert(.vlanTagged)
            if EtherType.isVLANTag(etherType) {
                guard length >= offset &+ 4 else { return .truncatedVLAN }
                etherType = frame.loadNetworkUInt16(at: offset &+ 2)
                offset &+= 4
                flags.insert(.doubleTagged)
                if EtherType.isVLANTag(etherType) { return .vlanStackTooDeep }
            }
        }
        metadata.etherType = etherType
        metadata.l3Offset = UInt16(truncatingIfNeeded: offset)
        let reason: DropReason
        switch etherType {
        case EtherType.ipv4:
            reason = parseIPv4(frame, offset: offset, frameLength: length, flags: &flags, metadata: &metadata)
        case EtherType.ipv6:
            reason = parseIPv6(frame, offset: offset, frameLength: length, flags: &flags, metadata: &metadata)
        case EtherType.arp:
            reason = checkARP(frame, offset: offset, frameLength: length)
        default:
            reason = .none
        }
        metadata.flags = flags
        return reason
    }

    @inlinable
    static func checkARP(_ frame: UnsafeMutableRawPointer, offset: Int, frameLength: Int) -> DropReason {
        let available = frameLength &- offset
        guard available >= 8 else { return .truncatedARP }
        let hardwareLength = Int(frame.loadByte(at: offset &+ 4))
        let protocolLength = Int(frame.loadByte(at: offset &+ 5))
        guard available >= 8 &+ 2 &* (hardwareLength &+ protocolLength) else { return .truncatedARP }
        return .none
    }

    @inlinable
    static func parseIPv4(
        _ frame: UnsafeMutableRawPointer, offset: Int, frameLength: Int,
        flags: inout PacketFlags, metadata: inout PacketMetadata
    ) -> DropReason {
        let available = frameLength &- offset
        guard available >= IPv4Header.minimumByteCount else { return .truncatedIPv4 }
        let versionAndLength = frame.loadByte(at: offset)
        guard versionAndLength >> 4 == 4 else { return .badIPVersion }
        let headerLength = Int(versionAndLength & 0x0F) &* 4
        guard headerLength >= IPv4Header.minimumByteCount else { return .badIPv4HeaderLength }
        guard headerLength <= available else { return .truncatedIPv4 }
        let totalLength = Int(frame.loadNetworkUInt16(at: offset &+ 2))
        guard totalLength >= headerLength else { return .ipv4TotalLengthBelowHeader }
        guard totalLength <= available else { return .ipv4TotalLengthBeyondFrame }
        flags.insert(.ipv4)
        let ipProtocol = frame.loadByte(at: offset &+ 9)
        metadata.ipProtocol = ipProtocol
        let fragmentField = frame.loadNetworkUInt16(at: offset &+ 6)
        var isFirstFragment = false
        if fragmentField & 0x3FFF != 0 {
            flags.insert(.fragment)
            if fragmentField & 0x1FFF != 0 {
                flags.insert(.laterFragment)
                return .none
            }
            isFirstFragment = true
        }
        return parseL4(
            frame, protocol: ipProtocol, offset: offset &+ headerLength,
            end: offset &+ totalLength, isFirstFragment: isFirstFragment,
            isIPv6: false, flags: &flags, metadata: &metadata)
    }

    @inlinable
    static func parseIPv6(
        _ frame: UnsafeMutableRawPointer, offset: Int, frameLength: Int,
        flags: inout PacketFlags, metadata: inout PacketMetadata
    ) -> DropReason {
        let available = frameLength &- offset
        guard available >= IPv6Header.byteCount else { return .truncatedIPv6 }
        guard frame.loadByte(at: offset) >> 4 == 6 else { return .badIPVersion }
        let payloadLength = Int(frame.loadNetworkUInt16(at: offset &+ 4))
        guard IPv6Header.byteCount &+ payloadLength <= available else { return .ipv6PayloadBeyondFrame }
        flags.insert(.ipv6)
        let end = offset &+ IPv6Header.byteCount &+ payloadLength
        var nextHeader = frame.loadByte(at: offset &+ 6)
        var cursor = offset &+ IPv6Header.byteCount
        var isFirstFragment = false
        var walked = 0
        walk: while true {
            switch nextHeader {
            case IPProtocol.hopByHop, IPProtocol.ipv6Routing, IPProtocol.destinationOptions,
                IPProtocol.mobility, IPProtocol.hip, IPProtocol.shim6:
                guard end &- cursor >= 8 else { return .truncatedIPv6ExtensionHeader }
                let extensionLength = (Int(frame.loadByte(at: cursor &+ 1)) &+ 1) &* 8
                guard end &- cursor >= extensionLength else { return .truncatedIPv6ExtensionHeader }
                nextHeader = frame.loadByte(at: cursor)
                cursor &+= extensionLength
            case IPProtocol.authenticationHeader:
                guard end &- cursor >= 8 else { return .truncatedIPv6ExtensionHeader }
                let extensionLength = (Int(frame.loadByte(at: cursor &+ 1)) &+ 2) &* 4
                guard end &- cursor >= extensionLength else { return .truncatedIPv6ExtensionHeader }
                nextHeader = frame.loadByte(at: cursor)
                cursor &+= extensionLength
            case IPProtocol.ipv6Fragment:
                guard end &- cursor >= 8 else { return .truncatedIPv6ExtensionHeader }
                let fragmentField = frame.loadNetworkUInt16(at: cursor &+ 2)
                nextHeader = frame.loadByte(at: cursor)
                cursor &+= 8
                // An atomic fragment (offset 0, M clear) is a whole packet (RFC 6946).
                if fragmentField & 0xFFF9 != 0 {
                    flags.insert(.fragment)
                    if fragmentField & 0xFFF8 != 0 {
                        flags.insert(.laterFragment)
                        metadata.ipProtocol = nextHeader
                        metadata.l4Offset = UInt16(truncatingIfNeeded: cursor)
                        return .none
                    }
                    isFirstFragment = true
                }
            default:
                break walk
            }
            walked &+= 1
            if walked > maximumIPv6ExtensionHeaders { return .ipv6ExtensionChainTooLong }
        }
        metadata.ipProtocol = nextHeader
        if nextHeader == IPProtocol.noNextHeader {
            metadata.l4Offset = UInt16(truncatingIfNeeded: cursor)
            return .none
        }
        return parseL4(
            frame, protocol: nextHeader, offset: cursor, end: end,
            isFirstFragment: isFirstFragment, isIPv6: true, flags: &flags, metadata: &metadata)
    }

    /// Checks the transport header. A problem with it does not fail the parse (the IP header
    /// is valid, so the packet can be routed): it is recorded in `metadata.transportProblem`
    /// and the packet is described to L3 only.
    @inlinable
    static func parseL4(
        _ frame: UnsafeMutableRawPointer, protocol ipProtocol: UInt8, offset: Int, end: Int,
        isFirstFragment: Bool, isIPv6: Bool,
        flags: inout PacketFlags, metadata: inout PacketMetadata
    ) -> DropReason {
        let problem = checkL4(
            frame, protocol: ipProtocol, offset: offset, end: end, isFirstFragment: isFirstFragment,
            isIPv6: isIPv6)
        metadata.l4Offset = UInt16(truncatingIfNeeded: offset)
        metadata.transportProblem = problem == .none || problem == .notParsed ? .none : problem
        if problem == .none { flags.insert(.hasL4) }
        return .none
    }

    /// What is wrong with the transport header at `offset` (`.none`: usable; `.notParsed`: a
    /// protocol this parser does not describe, or SCTP too short to).
    @inlinable
    static func checkL4(
        _ frame: UnsafeMutableRawPointer, protocol ipProtocol: UInt8, offset: Int, end: Int,
        isFirstFragment: Bool, isIPv6: Bool
    ) -> DropReason {
        let available = end &- offset
        switch ipProtocol {
        case IPProtocol.tcp:
            guard available >= TCPHeader.minimumByteCount else { return .truncatedTCP }
            let headerLength = Int(frame.loadByte(at: offset &+ 12) >> 4) &* 4
            guard headerLength >= TCPHeader.minimumByteCount else { return .badTCPDataOffset }
            guard headerLength <= available else { return .truncatedTCP }
        case IPProtocol.udp:
            guard available >= UDPHeader.byteCount else { return .truncatedUDP }
            // The UDP length covers the whole datagram, which a first fragment does not hold.
            if !isFirstFragment {
                let udpLength = Int(frame.loadNetworkUInt16(at: offset &+ 4))
                guard udpLength >= UDPHeader.byteCount, udpLength <= available else { return .badUDPLength }
            }
        case IPProtocol.icmp where !isIPv6:
            guard available >= ICMPHeader.byteCount else { return .truncatedICMP }
        case IPProtocol.icmpv6 where isIPv6:
            guard available >= 4 else { return .truncatedICMPv6 }
        case IPProtocol.sctp:
            guard available >= 12 else { return .notParsed }  // too short to describe: L3 only
        default:
            return .notParsed
        }
        return .none
    }
}
