/// EtherType values the platform understands (IEEE 802.3 / IANA).
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let vlan: UInt16 = 0x8100
    public static let ipv6: UInt16 = 0x86DD
    /// 802.1ad service tag (QinQ outer tag).
    public static let serviceVLAN: UInt16 = 0x88A8
    /// Pre-standard QinQ outer tag still seen in the field.
    public static let legacyQinQ: UInt16 = 0x9100

    /// True for the EtherTypes that announce a VLAN tag.
    @inlinable
    public static func isVLANTag(_ value: UInt16) -> Bool {
        value == vlan || value == serviceVLAN || value == legacyQinQ
    }
}
