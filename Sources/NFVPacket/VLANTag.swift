/// A view of the 4 bytes that follow a VLAN TPID (0x8100 / 0x88a8): the tag control
/// information and the encapsulated EtherType (IEEE 802.1Q). `pointer` is the TCI.
@frozen
public struct VLANTag {
    /// Bytes after the TPID: TCI (2) + inner EtherType (2).
    @inlinable public static var byteCount: Int { 4 }
    /// The first byte of the TCI.
    public let pointer: UnsafeMutableRawPointer

    /// A view of the header that starts at `pointer` (no bounds check).

    @inlinable public init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    /// Tag control information: PCP (3 bits), DEI (1 bit), VID (12 bits).
    @inlinable public var tagControl: UInt16 {
        get { pointer.loadNetworkUInt16(at: 0) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 0) }
    }

    /// VLAN identifier, 0...4095.
    @inlinable public var vlanID: UInt16 {
        get { tagControl & 0x0FFF }
        nonmutating set { tagControl = tagControl & 0xF000 | newValue & 0x0FFF }
    }

    /// Priority code point, 0...7.
    @inlinable public var priority: UInt8 {
        get { UInt8(truncatingIfNeeded: tagControl >> 13) }
        nonmutating set { tagControl = tagControl & 0x1FFF | UInt16(newValue & 7) << 13 }
    }

    /// Drop eligible indicator.
    @inlinable public var dropEligible: Bool { tagControl & 0x1000 != 0 }

    /// The EtherType the tag encapsulates.
    @inlinable public var innerEtherType: UInt16 {
        get { pointer.loadNetworkUInt16(at: 2) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 2) }
    }
}
