/// Facts the parser established about a packet, kept in `PacketMetadata.flags`.
@frozen
public struct PacketFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The parser ran and the offsets in the metadata are valid.
    public static let parsed = PacketFlags(rawValue: 1 << 0)
    /// An 802.1Q/802.1ad tag is present (`vlanID` is the outer VID).
    public static let vlanTagged = PacketFlags(rawValue: 1 << 1)
    /// Two tags (QinQ) are present.
    public static let doubleTagged = PacketFlags(rawValue: 1 << 2)
    /// The L3 header is IPv4.
    public static let ipv4 = PacketFlags(rawValue: 1 << 3)
    /// The L3 header is IPv6.
    public static let ipv6 = PacketFlags(rawValue: 1 << 4)
    /// The packet is an IP fragment (first or later).
    public static let fragment = PacketFlags(rawValue: 1 << 5)
    /// The packet is a non-first fragment: no L4 header is present.
    public static let laterFragment = PacketFlags(rawValue: 1 << 6)
    /// An L4 header was found and validated at `l4Offset`.
    public static let hasL4 = PacketFlags(rawValue: 1 << 7)
}
