/// Facts the parser established about a packet, kept in `PacketMetadata.flags`.
@frozen
public struct PacketFlags: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The parser ran and the offsets in the metadata are valid.
    @inlinable public static var parsed: PacketFlags { PacketFlags(rawValue: 1 << 0) }
    /// An 802.1Q/802.1ad tag is present (`vlanID` is the outer VID).
    @inlinable public static var vlanTagged: PacketFlags { PacketFlags(rawValue: 1 << 1) }
    /// Two tags (QinQ) are present.
    @inlinable public static var doubleTagged: PacketFlags { PacketFlags(rawValue: 1 << 2) }
    /// The L3 header is IPv4.
    @inlinable public static var ipv4: PacketFlags { PacketFlags(rawValue: 1 << 3) }
    /// The L3 header is IPv6.
    @inlinable public static var ipv6: PacketFlags { PacketFlags(rawValue: 1 << 4) }
    /// The packet is an IP fragment (first or later).
    @inlinable public static var fragment: PacketFlags { PacketFlags(rawValue: 1 << 5) }
    /// The packet is a non-first fragment: no L4 header is present.
    @inlinable public static var laterFragment: PacketFlags { PacketFlags(rawValue: 1 << 6) }
    /// An L4 header was found and validated at `l4Offset`.
    @inlinable public static var hasL4: PacketFlags { PacketFlags(rawValue: 1 << 7) }
}
