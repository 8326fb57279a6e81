/// A view of a UDP header in place (RFC 768).
@frozen
public struct UDPHeader {
    /// Header size.
    @inlinable public static var byteCount: Int { 8 }
    /// The first byte of the header.
    public let pointer: UnsafeMutableRawPointer

    /// A view of the header that starts at `pointer` (no bounds check).

    @inlinable public init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    /// Source port.
    @inlinable public var sourcePort: UInt16 {
        get { pointer.loadNetworkUInt16(at: 0) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 0) }
    }
    /// Destination port.
    @inlinable public var destinationPort: UInt16 {
        get { pointer.loadNetworkUInt16(at: 2) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 2) }
    }
    /// Length of header plus data.
    @inlinable public var length: UInt16 {
        get { pointer.loadNetworkUInt16(at: 4) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 4) }
    }
    /// Checksum field; 0 over IPv4 means "no checksum" and must stay 0 across rewrites.
    @inlinable public var checksum: UInt16 {
        get { pointer.loadNetworkUInt16(at: 6) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 6) }
    }
}
