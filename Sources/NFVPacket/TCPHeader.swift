/// A view of a TCP header in place (RFC 9293).
@frozen
public struct TCPHeader {
    /// Size of a header without options.
    @inlinable public static var minimumByteCount: Int { 20 }
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
    /// Sequence number.
    @inlinable public var sequenceNumber: UInt32 { pointer.loadNetworkUInt32(at: 4) }
    /// Acknowledgment number.
    @inlinable public var acknowledgmentNumber: UInt32 { pointer.loadNetworkUInt32(at: 8) }
    /// Header length in bytes (data offset x 4), options included.
    @inlinable public var headerByteCount: Int { Int(pointer.loadByte(at: 12) >> 4) &* 4 }
    /// Control flags.
    @inlinable public var flags: TCPFlags { TCPFlags(rawValue: pointer.loadByte(at: 13)) }
    /// Receive window.
    @inlinable public var window: UInt16 { pointer.loadNetworkUInt16(at: 14) }
    /// Checksum field.
    @inlinable public var checksum: UInt16 {
        get { pointer.loadNetworkUInt16(at: 16) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 16) }
    }
    /// Urgent pointer.
    @inlinable public var urgentPointer: UInt16 { pointer.loadNetworkUInt16(at: 18) }
}
