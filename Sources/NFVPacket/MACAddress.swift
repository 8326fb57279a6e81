/// A 48-bit IEEE 802 MAC address, kept in the low 48 bits of a `UInt64` in transmission order
/// (the first octet on the wire is the most significant).
@frozen
public struct MACAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address in the low 48 bits.
    public var rawValue: UInt64

    /// Creates an address from its 48-bit value; higher bits are discarded.
    @inlinable
    public init(rawValue: UInt64) {
        self.rawValue = rawValue & 0xFFFF_FFFF_FFFF
    }

    /// Creates an address from six octets in transmission order.
    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        var value = UInt64(a) << 40 | UInt64(b) << 32 | UInt64(c) << 24
        value |= UInt64(d) << 16 | UInt64(e) << 8 | UInt64(f)
        self.rawValue = value
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (or with `-` separators); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let groups = parts.count == 6 ? parts : text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.count == 6 else { return nil }
        var value: UInt64 = 0
        for group in groups {
            guard group.count == 2, let octet = UInt8(group, radix: 16) else { return nil }
            value = value << 8 | UInt64(octet)
        }
        self.rawValue = value
    }

    /// The broadcast address ff:ff:ff:ff:ff:ff.
    @inlinable public static var broadcast: MACAddress { MACAddress(rawValue: 0xFFFF_FFFF_FFFF) }

    /// The all-zero address.
    @inlinable public static var zero: MACAddress { MACAddress(rawValue: 0) }

    /// True for group (multicast and broadcast) addresses: the I/G bit of the first octet.
    @inlinable
    public var isMulticast: Bool { rawValue & 0x0100_0000_0000 != 0 }

    /// True for ff:ff:ff:ff:ff:ff.
    @inlinable
    public var isBroadcast: Bool { rawValue == 0xFFFF_FFFF_FFFF }

    /// Reads an address from six bytes at `offset`.
    @inlinable
    public init(loadingFrom pointer: UnsafeMutableRawPointer, at offset: Int) {
        let high = UInt64(pointer.loadNetworkUInt16(at: offset))
        let low = UInt64(pointer.loadNetworkUInt32(at: offset + 2))
        self.rawValue = high << 32 | low
    }

    /// The six bytes as they lie in memory, read as a little-endian number (byte 0 lowest):
    /// compare and copy addresses in frames without byte swaps.
    @inlinable
    public var wireValue: UInt64 {
        var value: UInt64 = 0
        for index in 0..<6 { value |= (rawValue >> UInt64(40 - 8 * index) & 0xFF) << UInt64(8 * index) }
        return value
    }

    /// Reads the six bytes at `offset` as a `wireValue`.
    @inlinable @inline(__always)
    public static func loadWire(from pointer: UnsafeMutableRawPointer, at offset: Int) -> UInt64 {
        UInt64(pointer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            | UInt64(pointer.loadUnaligned(fromByteOffset: offset &+ 4, as: UInt16.self)) << 32
    }

    /// Writes six bytes given as a `wireValue` at `offset`.
    @inlinable @inline(__always)
    public static func storeWire(_ value: UInt64, to pointer: UnsafeMutableRawPointer, at offset: Int) {
        pointer.storeBytes(of: UInt32(truncatingIfNeeded: value), toByteOffset: offset, as: UInt32.self)
        pointer.storeBytes(of: UInt16(truncatingIfNeeded: value >> 32), toByteOffset: offset &+ 4, as: UInt16.self)
    }

    /// Writes the address as six bytes at `offset`.
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer, at offset: Int) {
        pointer.storeNetworkUInt16(UInt16(truncatingIfNeeded: rawValue >> 32), at: offset)
        pointer.storeNetworkUInt32(UInt32(truncatingIfNeeded: rawValue), at: offset + 2)
    }

    @inlinable
    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Lower-case, colon separated: `02:00:00:00:00:01`.
    public var description: String {
        var text = ""
        for shift in stride(from: 40, through: 0, by: -8) {
            let octet = UInt8(truncatingIfNeeded: rawValue >> UInt64(shift))
            if !text.isEmpty { text += ":" }
            text += hexByte(octet)
        }
        return text
    }
}

@usableFromInline
func hexByte(_ octet: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(octet >> 4)], digits[Int(octet & 0x0F)]])
}
