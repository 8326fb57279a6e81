/// The packet an ICMP or ICMPv6 error message quotes (RFC 792, RFC 1812 4.3.2.3, RFC 4443 2.4):
/// its IP header and the start of its transport header, located and bounds-checked inside
/// the error's payload. Connection tracking uses the quote to find the connection an error
/// belongs to (RELATED); NAT rewrites it (RFC 5508).
public struct ICMPQuote {
    /// Offset of the quoted IP header within the frame.
    public var l3Offset: Int
    /// Offset of the quoted transport header within the frame.
    public var l4Offset: Int
    /// Bytes of the quoted transport header present (at least 8 for a usable quote).
    public var l4ByteCount: Int
    /// The flow key of the quoted packet, as it was sent (its source is the host that
    /// receives the error).
    public var key: FlowKey

    /// True for ICMPv4 error types: destination unreachable, source quench, redirect, time
    /// exceeded, parameter problem.
    @inlinable
    public static func isErrorV4(type: UInt8) -> Bool {
        type == 3 || type == 4 || type == 5 || type == 11 || type == 12
    }

    /// True for ICMPv6 error types (1-4: unreachable, packet too big, time exceeded,
    /// parameter problem).
    @inlinable
    public static func isErrorV6(type: UInt8) -> Bool { type >= 1 && type <= 4 }

    /// The quote inside the ICMP/ICMPv6 error of a parsed frame; nil when the frame is not an
    /// error message or the quote is too short to identify a flow (an IP header plus 8 bytes).
    public init?(frame: UnsafeMutableRawPointer, metadata: PacketMetadata) {
        let flags = metadata.flags
        guard flags.contains(.hasL4) else { return nil }
        let l4 = Int(metadata.l4Offset)
        let end: Int
        let isIPv4: Bool
        if flags.contains(.ipv4), metadata.ipProtocol == IPProtocol.icmp {
            guard Self.isErrorV4(type: frame.loadByte(at: l4)) else { return nil }
            end = Int(metadata.l3Offset) + Int(frame.loadNetworkUInt16(at: Int(metadata.l3Offset) + 2))
            isIPv4 = true
        } else if flags.contains(.ipv6), metadata.ipProtocol == IPProtocol.icmpv6 {
            guard Self.isErrorV6(type: frame.loadByte(at: l4)) else { return nil }
            end = Int(metadata.l3Offset) + 40 + Int(frame.loadNetworkUInt16(at: Int(metadata.l3Offset) + 4))
            isIPv4 = false
        } else {
            return nil
        }
        let inner = l4 + 8
        guard end - inner >= 1 else { return nil }
        let version = frame.loadByte(at: inner) >> 4
        var source: IPv6Address
        var destination: IPv6Address
        var ipProtocol: UInt8
        var transport: Int
        if isIPv4 {
            guard version == 4, end - inner >= 20 else { return nil }
            let headerLength = Int(frame.loadByte(at: inner) & 0x0F) * 4
            guard headerLength >= 20, end - inner >= headerLength else { return nil }
            // A quoted later fragment carries no transport header.
            guard frame.loadNetworkUInt16(at: inner + 6) & 0x1FFF == 0 else { return nil }
            source = IPv6Address(ipv4Mapped: IPv4Address(rawValue: frame.loadNetworkUInt32(at: inner + 12)))
            destination = IPv6Address(ipv4Mapped: IPv4Address(rawValue: frame.loadNetworkUInt32(at: inner + 16)))
            ipProtocol = frame.loadByte(at: inner + 9)
            transport = inner + headerLength
        } else {
            guard version == 6, end - inner >= 40 else { return nil }
            source = IPv6Address(loadingFrom: frame, at: inner + 8)
            destination = IPv6Address(loadingFrom: frame, at: inner + 24)
            ipProtocol = frame.loadByte(at: inner + 6)
            transport = inner + 40
            // Walk the quoted extension headers as far as they are present.
            var walked = 0
            while walked < PacketParser.maximumIPv6ExtensionHeaders {
                switch ipProtocol {
                case IPProtocol.hopByHop, IPProtocol.ipv6Routing, IPProtocol.destinationOptions:
                    guard end - transport >= 8 else { return nil }
                    ipProtocol = frame.loadByte(at: transport)
                    transport += (Int(frame.loadByte(at: transport + 1)) + 1) * 8
                case IPProtocol.ipv6Fragment:
                    guard end - transport >= 8 else { return nil }
                    guard frame.loadNetworkUInt16(at: transport + 2) & 0xFFF8 == 0 else { return nil }
                    ipProtocol = frame.loadByte(at: transport)
                    transport += 8
                default:
                    walked = PacketParser.maximumIPv6ExtensionHeaders
                    continue
                }
                walked += 1
            }
        }
        guard end - transport >= 8 else { return nil }
        var sourcePort: UInt16 = 0
        var destinationPort: UInt16 = 0
        switch ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp:
            sourcePort = frame.loadNetworkUInt16(at: transport)
            destinationPort = frame.loadNetworkUInt16(at: transport + 2)
        case IPProtocol.icmp where ICMPHeader.isQueryV4(type: frame.loadByte(at: transport)),
            IPProtocol.icmpv6 where ICMPHeader.isQueryV6(type: frame.loadByte(at: transport)):
            sourcePort = frame.loadNetworkUInt16(at: transport + 4)
            destinationPort = sourcePort
        default:
            break
        }
        l3Offset = inner
        l4Offset = transport
        l4ByteCount = end - transport
        key = FlowKey(
            source: source, destination: destination, sourcePort: sourcePort,
            destinationPort: destinationPort, ipProtocol: ipProtocol,
            vlanID: flags.contains(.vlanTagged) ? metadata.vlanID : 0)
    }
}
