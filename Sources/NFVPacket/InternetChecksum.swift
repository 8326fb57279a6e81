/// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
///
/// Values are host-order numbers equal to the big-endian 16-bit field in the packet, so
/// `IPv4Header.checksum` and the results here compare directly.
public enum InternetChecksum {
    /// The ones'-complement sum of `byteCount` bytes at `pointer` plus `initial`, folded to
    /// 16 bits but not complemented. An odd trailing byte is padded with zero on the right.
    @inlinable
    public static func sum(_ pointer: UnsafeRawPointer, byteCount: Int, initial: UInt32 = 0) -> UInt16 {
        // Sum native-order 32-bit words into 64 bits; ones'-complement addition commutes with
        // byte swapping (RFC 1071 section 2(B)), so one swap at the end gives network order.
        var accumulator: UInt64 = 0
        var offset = 0
        while offset + 8 <= byteCount {
            let word = pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let (added, overflow) = accumulator.addingReportingOverflow(word)
            accumulator = added &+ (overflow ? 1 : 0)
            offset += 8
        }
        // Fold the 64-bit ones'-complement sum to 32 bits before adding the tail.
        accumulator = (accumulator & 0xFFFF_FFFF) &+ (accumulator >> 32)
        if offset + 4 <= byteCount {
            accumulator &+= UInt64(pointer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset += 4
        }
        if offset + 2 <= byteCount {
            accumulator &+= UInt64(pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            offset += 2
        }
        if offset < byteCount {
            accumulator &+= UInt64(pointer.load(fromByteOffset: offset, as: UInt8.self))
        }
        var folded = fold(accumulator)
        folded = UInt16(bigEndian: folded)  // native (little-endian) sum -> network value
        return add(folded, fold(UInt64(initial)))
    }

    /// The checksum field value for `byteCount` bytes: the complement of their sum.
    @inlinable
    public static func checksum(_ pointer: UnsafeRawPointer, byteCount: Int, initial: UInt32 = 0) -> UInt16 {
        ~sum(pointer, byteCount: byteCount, initial: initial)
    }

    /// Folds a wide ones'-complement accumulator to 16 bits with end-around carry.
    @inlinable @inline(__always)
    public static func fold(_ value: UInt64) -> UInt16 {
        var sum = (value & 0xFFFF_FFFF) &+ (value >> 32)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        return UInt16(truncatingIfNeeded: sum)
    }

    /// The RFC 1624 adjustments `~m + m'` for an IPv4 address and a port rewritten from
    /// (`oldAddress`, `oldPort`) to (`newAddress`, `newPort`): `address` for the IP header
    /// checksum, `addressAndPort` for a TCP or UDP checksum (pseudo-header address and port).
    /// Computed once per flow; `adjusted(_:by:)` then updates a packet's checksum in two adds.
    @inlinable
    public static func adjustments(
        oldAddress: UInt32, newAddress: UInt32, oldPort: UInt16,
        newPort: UInt16
    ) -> (address: UInt16, addressAndPort: UInt16) {
        let address = fold(UInt64(~oldAddress >> 16) + UInt64(~oldAddress & 0xFFFF) + UInt64(newAddress >> 16) + UInt64(newAddress & 0xFFFF))
        return (address, fold(UInt64(address) + UInt64(~oldPort) + UInt64(newPort)))
    }

    /// RFC 1624 equation 3 with a precomputed adjustment: `~(~checksum + adjustment)`. Both may
    /// be in packet byte order as long as they agree (ones'-complement sums are byte-order
    /// independent, RFC 1071 2(B)).
    @inlinable @inline(__always)
    public static func adjusted(_ checksum: UInt16, by adjustment: UInt16) -> UInt16 {
        let sum = UInt32(~checksum) &+ UInt32(adjustment)
        return ~UInt16(truncatingIfNeeded: (sum & 0xFFFF) &+ (sum >> 16))
    }

    /// Ones'-complement addition of two 16-bit values.
    @inlinable @inline(__always)
    public static func add(_ a: UInt16, _ b: UInt16) -> UInt16 {
        let sum = UInt32(a) &+ UInt32(b)
        return UInt16(truncatingIfNeeded: (sum & 0xFFFF) &+ (sum >> 16))
    }

    /// RFC 1624 equation 3: the new checksum after a 16-bit field changes from `old` to `new`,
    /// `HC' = ~(~HC + ~m + m')`. Correct for every input, including the 0x0000/0xFFFF cases
    /// that the RFC 1141 formula gets wrong.
    @inlinable @inline(__always)
    public static func updated(_ checksum: UInt16, old: UInt16, new: UInt16) -> UInt16 {
        let sum = UInt32(~checksum) &+ UInt32(~old) &+ UInt32(new)
        let once = (sum & 0xFFFF) &+ (sum >> 16)
        return ~UInt16(truncatingIfNeeded: (once & 0xFFFF) &+ (once >> 16))
    }

    /// RFC 1624 update for a 32-bit field (an IPv4 address) changing from `old` to `new`.
    @inlinable @inline(__always)
    public static func updated(_ checksum: UInt16, old: UInt32, new: UInt32) -> UInt16 {
        var sum = UInt32(~checksum)
        sum &+= UInt32(~UInt16(truncatingIfNeeded: old >> 16)) &+ UInt32(~UInt16(truncatingIfNeeded: old))
        sum &+= (new >> 16) &+ (new & 0xFFFF)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        return ~UInt16(truncatingIfNeeded: sum)
    }

    /// The update of a partial transport checksum (Linux CHECKSUM_PARTIAL: the field holds the
    /// pseudo-header sum, not complemented) when an address in the pseudo-header changes from
    /// `old` to `new`: the sum moves by `~m + m'`, as in the kernel's inet_proto_csum_replace4.
    @inlinable
    public static func partialUpdated(_ partial: UInt16, old: UInt32, new: UInt32) -> UInt16 {
        ~updated(~partial, old: old, new: new)
    }

    /// `partialUpdated(_:old:new:)` with a precomputed adjustment (`adjustments`' `address`).
    @inlinable
    public static func partialAdjusted(_ partial: UInt16, by adjustment: UInt16) -> UInt16 {
        ~adjusted(~partial, by: adjustment)
    }

    /// RFC 1624 update for a 32-bit field (an address) and a 16-bit field (a port) changing
    /// together, as a NAT rewrite of a TCP/UDP checksum needs: one fold instead of two updates.
    @inlinable @inline(__always)
    public static func updated(_ checksum: UInt16, oldAddress: UInt32, newAddress: UInt32, oldPort: UInt16, newPort: UInt16) -> UInt16 {
        var sum = UInt64(~checksum)
        sum &+= UInt64(~oldAddress >> 16) &+ UInt64(~oldAddress & 0xFFFF) &+ UInt64(~oldPort)
        sum &+= UInt64(newAddress >> 16) &+ UInt64(newAddress & 0xFFFF) &+ UInt64(newPort)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        sum = (sum & 0xFFFF) &+ (sum >> 16)
        return ~UInt16(truncatingIfNeeded: sum)
    }

    /// The ones'-complement sum of the IPv4 pseudo-header (RFC 793 / RFC 768), not complemented,
    /// widened for use as `initial` of `sum(_:byteCount:initial:)`.
    @inlinable
    public static func pseudoHeaderSum(
        source: IPv4Address, destination: IPv4Address,
        protocol ipProtocol: UInt8, length: Int
    ) -> UInt32 {
        var sum = (source.rawValue >> 16) &+ (source.rawValue & 0xFFFF)
        sum &+= (destination.rawValue >> 16) &+ (destination.rawValue & 0xFFFF)
        sum &+= UInt32(ipProtocol) &+ UInt32(truncatingIfNeeded: length)
        return UInt32(fold(UInt64(sum)))
    }

    /// The ones'-complement sum of the IPv6 pseudo-header (RFC 8200 section 8.1).
    @inlinable
    public static func pseudoHeaderSum(
        source: IPv6Address, destination: IPv6Address,
        nextHeader: UInt8, length: Int
    ) -> UInt32 {
        var sum: UInt64 = 0
        for half in [source.high, source.low, destination.high, destination.low] {
            sum &+= (half >> 48) &+ (half >> 32 & 0xFFFF) &+ (half >> 16 & 0xFFFF) &+ (half & 0xFFFF)
        }
        sum &+= UInt64(nextHeader) &+ UInt64(UInt32(truncatingIfNeeded: length) >> 16)
        sum &+= UInt64(UInt32(truncatingIfNeeded: length) & 0xFFFF)
        return UInt32(fold(sum))
    }
}
