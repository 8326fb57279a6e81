/// A view of an ICMP (RFC 792) or ICMPv6 (RFC 4443) header in place: type, code, checksum and
/// the 4-byte rest of header (identifier and sequence number for echo messages).
@frozen
public struct ICMPHeader {
    /// Bytes of the ICMP header proper, rest-of-header included.
    @inlinable public static var byteCount: Int { 8 }
    /// ICMP echo reply.
    @inlinable public static var echoReply: UInt8 { 0 }
    /// ICMP destination unreachable.
    @inlinable public static var destinationUnreachable: UInt8 { 3 }
    /// ICMP echo request.
    @inlinable public static var echoRequest: UInt8 { 8 }
    /// ICMP time exceeded.
    @inlinable public static var timeExceeded: UInt8 { 11 }
    /// ICMPv6 echo request.
    @inlinable public static var echoRequestV6: UInt8 { 128 }
    /// ICMPv6 echo reply.
    @inlinable public static var echoReplyV6: UInt8 { 129 }
    /// The first byte of the header.
    public let pointer: UnsafeMutableRawPointer

    /// A view of the header that starts at `pointer` (no bounds check).

    @inlinable public init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    /// Message type.
    @inlinable public var type: UInt8 {
        get { pointer.loadByte(at: 0) }
        nonmutating set { pointer.storeByte(newValue, at: 0) }
    }
    /// Message code.
    @inlinable public var code: UInt8 {
        get { pointer.loadByte(at: 1) }
        nonmutating set { pointer.storeByte(newValue, at: 1) }
    }
    /// Checksum field.
    @inlinable public var checksum: UInt16 {
        get { pointer.loadNetworkUInt16(at: 2) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 2) }
    }
    /// Identifier of an echo/query message (bytes 4-5).
    @inlinable public var identifier: UInt16 {
        get { pointer.loadNetworkUInt16(at: 4) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 4) }
    }
    /// Sequence number of an echo/query message (bytes 6-7).
    @inlinable public var sequenceNumber: UInt16 {
        get { pointer.loadNetworkUInt16(at: 6) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 6) }
    }

    /// True for ICMPv4 query messages that carry an identifier (echo, timestamp, information,
    /// address mask requests and replies).
    @inlinable
    public static func isQueryV4(type: UInt8) -> Bool {
        switch type {
        case 0, 8, 13, 14, 15, 16, 17, 18: true
        default: false
        }
    }

    /// True for ICMPv6 echo request and reply.
    @inlinable
    public static func isQueryV6(type: UInt8) -> Bool { type == echoRequestV6 || type == echoReplyV6 }
}
