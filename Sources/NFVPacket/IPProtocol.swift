/// IP protocol / IPv6 next-header numbers the platform understands (IANA registry).
public enum IPProtocol {
    @inlinable public static var hopByHop: UInt8 { 0 }
    @inlinable public static var icmp: UInt8 { 1 }
    @inlinable public static var tcp: UInt8 { 6 }
    @inlinable public static var udp: UInt8 { 17 }
    @inlinable public static var ipv6Routing: UInt8 { 43 }
    @inlinable public static var ipv6Fragment: UInt8 { 44 }
    @inlinable public static var esp: UInt8 { 50 }
    @inlinable public static var authenticationHeader: UInt8 { 51 }
    @inlinable public static var icmpv6: UInt8 { 58 }
    @inlinable public static var noNextHeader: UInt8 { 59 }
    @inlinable public static var destinationOptions: UInt8 { 60 }
    @inlinable public static var mobility: UInt8 { 135 }
    @inlinable public static var hip: UInt8 { 139 }
    @inlinable public static var shim6: UInt8 { 140 }
    @inlinable public static var sctp: UInt8 { 132 }
    @inlinable public static var udpLite: UInt8 { 136 }

    /// The name tools print for protocol `number` (conntrack, tcpdump): tcp, udp, icmp,
    /// icmpv6, sctp, or the number.
    public static func name(_ number: UInt8) -> String {
        switch number {
        case icmp: "icmp"
        case tcp: "tcp"
        case udp: "udp"
        case icmpv6: "icmpv6"
        case 132: "sctp"
        default: "\(number)"
        }
    }
}
