/// A view of the fixed IPv6 header in place (RFC 8200, 40 bytes).
@frozen
public struct IPv6Header {
    /// Size of the fixed header.
    @inlinable public static var byteCount: Int { 40 }
    /// The first byte of the header.
    public let pointer: UnsafeMutableRawPointer

    /// A view of the header that starts at `pointer` (no bounds check).

    @inlinable public init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    /// Version nibble (6 for a valid header).
    @inlinable public var version: UInt8 { pointer.loadByte(at: 0) >> 4 }
    /// Traffic class.
    @inlinable public var trafficClass: UInt8 {
        UInt8(truncatingIfNeeded: pointer.loadNetworkUInt16(at: 0) >> 4)
    }
    /// Sets the DSCP, the traffic class's upper six bits (ECN kept; IPv6 has no header checksum).
    @inlinable public func setDSCP(_ dscp: UInt8) {
        let word = pointer.loadNetworkUInt16(at: 0)
        pointer.storeNetworkUInt16(word & 0xF03F | UInt16(dscp & 0x3F) << 6, at: 0)
    }
    /// Flow label (20 bits).
    @inlinable public var flowLabel: UInt32 { pointer.loadNetworkUInt32(at: 0) & 0x000F_FFFF }
    /// Payload length (everything after the fixed header).
    @inlinable public var payloadLength: UInt16 {
        get { pointer.loadNetworkUInt16(at: 4) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 4) }
    }
    /// Next header of the fixed header.
    @inlinable public var nextHeader: UInt8 { pointer.loadByte(at: 6) }
    /// Hop limit.
    @inlinable public var hopLimit: UInt8 {
        get { pointer.loadByte(at: 7) }
        nonmutating set { pointer.storeByte(newValue, at: 7) }
    }
    /// Source address.
    @inlinable public var source: IPv6Address {
        get { IPv6Address(loadingFrom: pointer, at: 8) }
        nonmutating set { newValue.store(to: pointer, at: 8) }
    }
    /// Destination address.
    @inlinable public var destination: IPv6Address {
        get { IPv6Address(loadingFrom: pointer, at: 24) }
        nonmutating set { newValue.store(to: pointer, at: 24) }
    }
}
