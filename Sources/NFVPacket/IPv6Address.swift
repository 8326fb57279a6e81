/// An IPv6 address as two host-order 64-bit halves (`high` holds the first eight octets).
/// IPv4 addresses appear in flow keys as IPv4-mapped addresses (`::ffff:a.b.c.d`).
@frozen
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The first 64 bits of the address.
    public var high: UInt64
    /// The last 64 bits of the address.
    public var low: UInt64

    /// Creates an address from its two halves.
    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The IPv4-mapped form `::ffff:a.b.c.d` of an IPv4 address (RFC 4291 section 2.5.5.2).
    @inlinable
    public init(ipv4Mapped address: IPv4Address) {
        self.high = 0
        self.low = 0x0000_FFFF_0000_0000 | UInt64(address.rawValue)
    }

    /// Reads sixteen bytes at `offset`.
    @inlinable
    public init(loadingFrom pointer: UnsafeMutableRawPointer, at offset: Int) {
        self.high = pointer.loadNetworkUInt64(at: offset)
        self.low = pointer.loadNetworkUInt64(at: offset + 8)
    }

    /// Writes the address as sixteen bytes at `offset`.
    @inlinable
    public func store(to pointer: UnsafeMutableRawPointer, at offset: Int) {
        pointer.storeNetworkUInt64(high, at: offset)
        pointer.storeNetworkUInt64(low, at: offset + 8)
    }

    /// The unspecified address `::`.
    @inlinable public static var unspecified: IPv6Address { IPv6Address(high: 0, low: 0) }

    /// True for ff00::/8.
    @inlinable public var isMulticast: Bool { high >> 56 == 0xFF }

    /// The embedded IPv4 address when this is an IPv4-mapped address.
    @inlinable
    public var ipv4Mapped: IPv4Address? {
        guard high == 0, low >> 32 == 0x0000_FFFF else { return nil }
        return IPv4Address(rawValue: UInt32(truncatingIfNeeded: low))
    }

    /// An IPv4 address in dotted form (held IPv4-mapped) or an IPv6 address: how tables that
    /// hold both families keep an address.
    public init?(eitherFamily text: String) {
        if let v4 = IPv4Address(text) {
            self.init(ipv4Mapped: v4)
        } else {
            self.init(text)
        }
    }

    /// The address as its family writes it: dotted for an IPv4-mapped one.
    public var eitherFamilyDescription: String { ipv4Mapped.map(\.description) ?? description }

    /// The eight 16-bit groups, first to last.
    public var groups: [UInt16] {
        (0..<8).map { index in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64((3 - index % 4) * 16))
        }
    }

    /// Parses the text forms of RFC 4291 section 2.2 (with `::` and a trailing dotted quad);
    /// nil when malformed.
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ part: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if piece.contains("."), allowIPv4Tail, index == pieces.count - 1 {
                    guard let v4 = IPv4Address(String(piece)) else { return nil }
                    result.append(UInt16(v4.rawValue >> 16))
                    result.append(UInt16(v4.rawValue & 0xFFFF))
                } else {
                    guard (1...4).contains(piece.count), let group = UInt16(piece, radix: 16) else {
                        return nil
                    }
                    result.append(group)
                }
            }
            return result
        }
        if halves.count == 2 {
            guard let h = parseGroups(halves[0], allowIPv4Tail: false),
                let t = parseGroups(halves[1], allowIPv4Tail: true), h.count + t.count <= 7
            else { return nil }
            head = h
            tail = t
        } else {
            guard let all = parseGroups(halves[0], allowIPv4Tail: true), all.count == 8 else {
                return nil
            }
            head = all
        }
        let all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<4 { high = high << 16 | UInt64(all[index]) }
        for index in 4..<8 { low = low << 16 | UInt64(all[index]) }
        self.high = high
        self.low = low
    }

    @inlinable
    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    /// The RFC 5952 canonical text form: lower case, no leading zeros, the longest run of two
    /// or more zero groups (the first one on a tie) shortened to `::`.
    public var description: String {
        let groups = self.groups
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8, groups[end] == 0 { end += 1 }
                if end - index > bestLength {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        func render(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return render(0..<8) }
        return render(0..<bestStart) + "::" + render((bestStart + bestLength)..<8)
    }
}

extension String {
    /// Splits on "::" (the text form's zero-run marker); more than one "::" yields three parts.
    fileprivate func components(separatedByDoubleColon _: Void) -> [Substring] {
        var parts: [Substring] = []
        var start = startIndex
        var index = startIndex
        while index < endIndex {
            let next = self.index(after: index)
            if self[index] == ":", next < endIndex, self[next] == ":" {
                parts.append(self[start..<index])
                start = self.index(after: next)
                index = start
            } else {
                index = next
            }
        }
        parts.append(self[start..<endIndex])
        return parts
    }
}
