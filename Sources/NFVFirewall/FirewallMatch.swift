import NFVPacket

/// The conditions of a rule; a nil field matches anything. Lists (prefixes, port ranges) match
/// when any element matches.
public struct FirewallMatch: Sendable, Equatable {
    /// Chain port the packet arrived on, by name.
    public var inPort: String?
    /// Chain port the packet will leave on, by name.
    public var outPort: String?
    /// EtherType (after VLAN tags).
    public var etherType: UInt16?
    /// Outer VLAN ID; 0 matches untagged frames only.
    public var vlanID: UInt16?
    /// IP protocol / IPv6 upper-layer next header.
    public var ipProtocol: UInt8?
    /// Source address prefixes.
    public var sourcePrefixes: [IPPrefix] = []
    /// Destination address prefixes.
    public var destinationPrefixes: [IPPrefix] = []
    /// Source port ranges (TCP, UDP, SCTP).
    public var sourcePorts: [PortRange] = []
    /// Destination port ranges.
    public var destinationPorts: [PortRange] = []
    /// TCP flags that must be set.
    public var tcpFlagsSet: TCPFlags = []
    /// TCP flags that must be clear.
    public var tcpFlagsClear: TCPFlags = []
    /// ICMP / ICMPv6 type.
    public var icmpType: UInt8?
    /// ICMP / ICMPv6 code.
    public var icmpCode: UInt8?

    /// Matches everything.
    public init() {}

    public static func == (lhs: FirewallMatch, rhs: FirewallMatch) -> Bool {
        lhs.inPort == rhs.inPort && lhs.outPort == rhs.outPort && lhs.etherType == rhs.etherType
            && lhs.vlanID == rhs.vlanID && lhs.ipProtocol == rhs.ipProtocol
            && lhs.sourcePrefixes == rhs.sourcePrefixes && lhs.destinationPrefixes == rhs.destinationPrefixes
            && lhs.sourcePorts == rhs.sourcePorts && lhs.destinationPorts == rhs.destinationPorts
            && lhs.tcpFlagsSet.rawValue == rhs.tcpFlagsSet.rawValue && lhs.tcpFlagsClear.rawValue == rhs.tcpFlagsClear.rawValue
            && lhs.icmpType == rhs.icmpType && lhs.icmpCode == rhs.icmpCode
    }
}
