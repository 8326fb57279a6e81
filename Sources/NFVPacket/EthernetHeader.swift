/// A view of an Ethernet II header (14 bytes) in place. Views do not check bounds: create one
/// only over bytes the parser validated, or after checking the length yourself.
@frozen
public struct EthernetHeader {
    /// Header size in bytes.
    @inlinable public static var byteCount: Int { 14 }
    /// The first byte of the header.
    public let pointer: UnsafeMutableRawPointer

    /// A view of the header that starts at `pointer` (no bounds check).

    @inlinable public init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    /// Destination MAC address.
    @inlinable public var destination: MACAddress {
        get { MACAddress(loadingFrom: pointer, at: 0) }
        nonmutating set { newValue.store(to: pointer, at: 0) }
    }

    /// Source MAC address.
    @inlinable public var source: MACAddress {
        get { MACAddress(loadingFrom: pointer, at: 6) }
        nonmutating set { newValue.store(to: pointer, at: 6) }
    }

    /// The EtherType field right after the addresses (a VLAN TPID when tagged).
    @inlinable public var etherType: UInt16 {
        get { pointer.loadNetworkUInt16(at: 12) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 12) }
    }
}
