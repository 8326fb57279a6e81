/// A view of an ARP packet for Ethernet and IPv4 (RFC 826; 28 bytes).
@frozen
public struct ARPHeader {
    /// Size of an Ethernet/IPv4 ARP packet.
    @inlinable public static var byteCount: Int { 28 }
    /// ARP request operation code.
    @inlinable public static var request: UInt16 { 1 }
    /// ARP reply operation code.
    @inlinable public static var reply: UInt16 { 2 }
    /// The first byte of the ARP packet.
    public let pointer: UnsafeMutableRawPointer

    /// A view of the header that starts at `pointer` (no bounds check).

    @inlinable public init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    /// Hardware type (1 for Ethernet).
    @inlinable public var hardwareType: UInt16 { pointer.loadNetworkUInt16(at: 0) }
    /// Protocol type (0x0800 for IPv4).
    @inlinable public var protocolType: UInt16 { pointer.loadNetworkUInt16(at: 2) }
    /// Hardware address length (6 for Ethernet).
    @inlinable public var hardwareAddressLength: UInt8 { pointer.loadByte(at: 4) }
    /// Protocol address length (4 for IPv4).
    @inlinable public var protocolAddressLength: UInt8 { pointer.loadByte(at: 5) }
    /// True when this is the Ethernet/IPv4 form the typed accessors below assume.
    @inlinable public var isEthernetIPv4: Bool {
        hardwareType == 1 && protocolType == EtherType.ipv4
            && hardwareAddressLength == 6 && protocolAddressLength == 4
    }

    /// Operation: 1 request, 2 reply.
    @inlinable public var operation: UInt16 {
        get { pointer.loadNetworkUInt16(at: 6) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 6) }
    }
    /// Sender hardware address.
    @inlinable public var senderMAC: MACAddress {
        get { MACAddress(loadingFrom: pointer, at: 8) }
        nonmutating set { newValue.store(to: pointer, at: 8) }
    }
    /// Sender protocol address.
    @inlinable public var senderIP: IPv4Address {
        get { IPv4Address(rawValue: pointer.loadNetworkUInt32(at: 14)) }
        nonmutating set { pointer.storeNetworkUInt32(newValue.rawValue, at: 14) }
    }
    /// Target hardware address.
    @inlinable public var targetMAC: MACAddress {
        get { MACAddress(loadingFrom: pointer, at: 18) }
        nonmutating set { newValue.store(to: pointer, at: 18) }
    }
    /// Target protocol address.
    @inlinable public var targetIP: IPv4Address {
        get { IPv4Address(rawValue: pointer.loadNetworkUInt32(at: 24)) }
        nonmutating set { pointer.storeNetworkUInt32(newValue.rawValue, at: 24) }
    }
}
