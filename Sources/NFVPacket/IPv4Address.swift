/// An IPv4 address held as a host-order `UInt32` (10.0.0.1 is `0x0A00_0001`).
@frozen
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address as a number; the first octet is the most significant byte.
    public var rawValue: UInt32

    /// Creates an address from its numeric value.
    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Creates an address from four octets, `IPv4Address(192, 0, 2, 1)`.
    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad notation (`192.0.2.1`); nil when malformed. Leading zeros are
    /// rejected, as inet_pton does, because they are ambiguous (octal in some parsers).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let octet = UInt8(part)
            else { return nil }
            value = value << 8 | UInt32(octet)
        }
        self.rawValue = value
    }

    /// 0.0.0.0
    @inlinable public static var any: IPv4Address { IPv4Address(rawValue: 0) }
    /// 255.255.255.255
    @inlinable public static var limitedBroadcast: IPv4Address { IPv4Address(rawValue: 0xFFFF_FFFF) }

    /// True for 224.0.0.0/4.
    @inlinable public var isMulticast: Bool { rawValue & 0xF000_0000 == 0xE000_0000 }
    /// True for 127.0.0.0/8.
    @inlinable public var isLoopback: Bool { rawValue & 0xFF00_0000 == 0x7F00_0000 }

    @inlinable
    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Dotted-quad notation.
    public var description: String {
        "\(rawValue >> 24).\(rawValue >> 16 & 0xFF).\(rawValue >> 8 & 0xFF).\(rawValue & 0xFF)"
    }
}
