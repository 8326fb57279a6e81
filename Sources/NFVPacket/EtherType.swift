/// EtherType values the platform understands (IEEE 802.3 / IANA).
public enum EtherType {
    @inlinable public static var ipv4: UInt16 { 0x0800 }
    @inlinable public static var arp: UInt16 { 0x0806 }
    @inlinable public static var vlan: UInt16 { 0x8100 }
    @inlinable public static var ipv6: UInt16 { 0x86DD }
    /// 802.1ad service tag (QinQ outer tag).
    @inlinable public static var serviceVLAN: UInt16 { 0x88A8 }
    /// Pre-standard QinQ outer tag still seen in the field.
    @inlinable public static var legacyQinQ: UInt16 { 0x9100 }

    /// True for the EtherTypes that announce a VLAN tag.
    @inlinable
    public static func isVLANTag(_ value: UInt16) -> Bool {
        value == vlan || value == serviceVLAN || value == legacyQinQ
    }
}
