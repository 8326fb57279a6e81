/// A view of an IPv4 header in place (RFC 791), options included.
@frozen
public struct IPv4Header {
    /// Size of a header without options.
    @inlinable public static var minimumByteCount: Int { 20 }
    /// The first byte of the header.
    public let pointer: UnsafeMutableRawPointer

    /// A view of the header that starts at `pointer` (no bounds check).

    @inlinable public init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    /// Version nibble (4 for a valid header).
    @inlinable public var version: UInt8 { pointer.loadByte(at: 0) >> 4 }
    /// Header length in 32-bit words (IHL).
    @inlinable public var headerLengthWords: UInt8 { pointer.loadByte(at: 0) & 0x0F }
    /// Header length in bytes, options included.
    @inlinable public var headerByteCount: Int { Int(headerLengthWords) &* 4 }
    /// Differentiated services code point.
    @inlinable public var dscp: UInt8 { pointer.loadByte(at: 1) >> 2 }
    /// Explicit congestion notification bits.
    @inlinable public var ecn: UInt8 { pointer.loadByte(at: 1) & 3 }
    /// Total length of the datagram (header + payload).
    @inlinable public var totalLength: UInt16 {
        get { pointer.loadNetworkUInt16(at: 2) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 2) }
    }
    /// Identification.
    @inlinable public var identification: UInt16 {
        get { pointer.loadNetworkUInt16(at: 4) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 4) }
    }
    /// Flags and fragment offset field.
    @inlinable public var flagsAndFragmentOffset: UInt16 { pointer.loadNetworkUInt16(at: 6) }
    /// Don't Fragment.
    @inlinable public var dontFragment: Bool { flagsAndFragmentOffset & 0x4000 != 0 }
    /// More Fragments.
    @inlinable public var moreFragments: Bool { flagsAndFragmentOffset & 0x2000 != 0 }
    /// Fragment offset in 8-byte units.
    @inlinable public var fragmentOffset: UInt16 { flagsAndFragmentOffset & 0x1FFF }
    /// True for any fragment (MF set or a non-zero offset).
    @inlinable public var isFragment: Bool { flagsAndFragmentOffset & 0x3FFF != 0 }
    /// Time to live.
    @inlinable public var ttl: UInt8 {
        get { pointer.loadByte(at: 8) }
        nonmutating set { pointer.storeByte(newValue, at: 8) }
    }
    /// Protocol of the payload.
    @inlinable public var `protocol`: UInt8 { pointer.loadByte(at: 9) }
    /// Header checksum field.
    @inlinable public var checksum: UInt16 {
        get { pointer.loadNetworkUInt16(at: 10) }
        nonmutating set { pointer.storeNetworkUInt16(newValue, at: 10) }
    }
    /// Source address.
    @inlinable public var source: IPv4Address {
        get { IPv4Address(rawValue: pointer.loadNetworkUInt32(at: 12)) }
        nonmutating set { pointer.storeNetworkUInt32(newValue.rawValue, at: 12) }
    }
    /// Destination address.
    @inlinable public var destination: IPv4Address {
        get { IPv4Address(rawValue: pointer.loadNetworkUInt32(at: 16)) }
        nonmutating set { pointer.storeNetworkUInt32(newValue.rawValue, at: 16) }
    }

    /// The checksum the header should carry, computed over `headerByteCount` bytes.
    @inlinable public var computedChecksum: UInt16 {
        let stored = checksum
        let total = InternetChecksum.sum(UnsafeRawPointer(pointer), byteCount: headerByteCount)
        // Take the stored checksum out of the sum instead of writing zero into the packet.
        return ~InternetChecksum.add(total, ~stored)
    }

    /// True when the header checksum verifies (the sum over the header is 0xFFFF). A header
    /// without options (the usual case) is summed as five 32-bit words without a loop.
    @inlinable public var isChecksumValid: Bool {
        @inline(__always) get {
            guard pointer.loadByte(at: 0) == 0x45 else {
                return InternetChecksum.sum(UnsafeRawPointer(pointer), byteCount: headerByteCount) == 0xFFFF
            }
            var sum = UInt64(pointer.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            sum &+= UInt64(pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            sum &+= UInt64(pointer.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            sum &+= UInt64(pointer.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            sum &+= UInt64(pointer.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            // The ones'-complement sum is all ones exactly when the plain sum is a non-zero multiple
            // of 0xFFFF (65536 = 1 modulo 65535, so 32-bit words may be added whole, in either byte
            // order); the first word (0x45..) makes the sum non-zero.
            return sum % 0xFFFF == 0
        }
    }

    /// Recomputes and stores the header checksum.
    @inlinable public func updateChecksum() {
        checksum = 0
        checksum = InternetChecksum.checksum(UnsafeRawPointer(pointer), byteCount: headerByteCount)
    }

    /// Decrements TTL by one and patches the checksum incrementally. The caller checks
    /// `ttl > 1` first.
    ///
    /// RFC 1624 equation 3, `HC' = ~(~HC + ~m + m')`, with m the TTL/protocol word and
    /// m' = m - 0x0100: for a 16-bit m >= 0x0100, `~m + m'` is the constant 0xFEFF, so the
    /// update is one add and one fold (the sum stays below 0x1FEFF, so one fold suffices).
    ///
    /// The arithmetic runs on the field as loaded (little-endian on x86), with the constant
    /// byte-swapped to 0xFFFE: ones'-complement addition commutes with byte swapping (RFC 1071
    /// section 2(B)), so no swap of the field is needed.
    /// Sets the DSCP (ECN kept) and patches the header checksum (RFC 1624).
    @inlinable public func setDSCP(_ dscp: UInt8) {
        let old = pointer.loadNetworkUInt16(at: 0)
        let new = old & 0xFF03 | UInt16(dscp & 0x3F) << 2
        guard new != old else { return }
        pointer.storeNetworkUInt16(new, at: 0)
        pointer.storeNetworkUInt16(InternetChecksum.updated(pointer.loadNetworkUInt16(at: 10), old: old, new: new), at: 10)
    }

    @inlinable public func decrementTTL() {
        pointer.storeByte(pointer.loadByte(at: 8) &- 1, at: 8)
        let stored = pointer.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
        let constant = UInt32(UInt16(0xFEFF).bigEndian)
        let sum = UInt32(~stored) &+ constant
        pointer.storeBytes(of: ~UInt16(truncatingIfNeeded: (sum & 0xFFFF) &+ (sum >> 16)), toByteOffset: 10, as: UInt16.self)
    }
}
