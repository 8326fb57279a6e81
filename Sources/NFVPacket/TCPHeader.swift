/// TCP control flags (RFC 9293; ECE/CWR from RFC 3168).
@frozen
public struct TCPFlags: OptionSet, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x01) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x02) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x04) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x08) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x10) }
    @inlinable public static var urg: TCPFlags { TCPFlags(rawValue: 0x20) }
    @inlinable public static var ece: TCPFlags { TCPFlags(rawValue: 0x40) }
    @inlinable public static var cwr: TCPFlags { TCPFlags(rawValue: 0x80) }

    /// Letters in tcpdump order: `F S R P A U E C`, e.g. `SA` for SYN+ACK.
    public var description: String {
        let letters: [(TCPFlags, String)] = [(.fin, "F"), (.syn, "S"), (.rst, "R"), (.psh, "P"),
                                             (.ack, "A"), (.urg, "U"), (.ece, "E"), (.cwr, "C")]
        let text = letters.filter { contains($0.0) }.map(\.1).joined()
        return text.isEmpty ? "none" : text
    }
}

/// A view of a TCP header in place (RFC 9293).
@frozen
public struct TCPHeader {
    /// Size of a header without options.
    @inlinable public static var minimumByteCount: Int { 20 }
    /// The first byte of the header.
    public let pointer: UnsafeMutableRawPointer

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
