/// An IPv4 or IPv6 prefix (`10.0.0.0/8`, `2001:db8::/32`), held as an IPv6 prefix: IPv4
/// prefixes become IPv4-mapped (`::ffff:10.0.0.0/104`), so one comparison serves both families.
@frozen
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    /// The network address (host bits zero).
    public var network: IPv6Address
    /// Prefix length over the 128-bit form (IPv4 /n is 96 + n).
    public var length: Int
    /// True when written as an IPv4 prefix.
    public var isIPv4: Bool

    /// Parses `a.b.c.d/n`, `x::y/n`, or an address alone (a host prefix); nil when malformed.
    /// Host bits that are set are rejected: `10.0.0.1/8` is almost always a typo.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = String(parts[0])
        let given: IPv6Address
        if let v4 = IPv4Address(addressText) {
            var bits = 32
            if parts.count == 2 {
                guard let value = Int(parts[1]), (0...32).contains(value), parts[1].allSatisfy(\.isNumber) else { return nil }
                bits = value
            }
            given = IPv6Address(ipv4Mapped: v4)
            self.init(network: given, length: 96 + bits, isIPv4: true)
        } else if let v6 = IPv6Address(addressText) {
            var bits = 128
            if parts.count == 2 {
                guard let value = Int(parts[1]), (0...128).contains(value), parts[1].allSatisfy(\.isNumber) else { return nil }
                bits = value
            }
            given = v6
            self.init(network: given, length: bits, isIPv4: false)
        } else {
            return nil
        }
        guard network == given else { return nil }  // host bits were set
    }

    /// A prefix from its parts (host bits are cleared).
    @inlinable
    public init(network: IPv6Address, length: Int, isIPv4: Bool) {
        self.length = length
        self.isIPv4 = isIPv4
        self.network = network
        self.network = masked(network)
    }

    /// The mask's high and low 64 bits.
    @inlinable
    public var mask: (high: UInt64, low: UInt64) {
        let high: UInt64 = length >= 64 ? .max : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
        let low: UInt64 = length <= 64 ? 0 : (length >= 128 ? .max : ~UInt64(0) << UInt64(128 - length))
        return (high, low)
    }

    @inlinable
    func masked(_ address: IPv6Address) -> IPv6Address {
        let mask = self.mask
        return IPv6Address(high: address.high & mask.high, low: address.low & mask.low)
    }

    /// True when `address` lies in the prefix.
    @inlinable
    public func contains(_ address: IPv6Address) -> Bool {
        let mask = self.mask
        return address.high & mask.high == network.high && address.low & mask.low == network.low
    }

    /// `10.0.0.0/8` or `2001:db8::/32`.
    public var description: String {
        if isIPv4, let v4 = network.ipv4Mapped { return "\(v4)/\(length - 96)" }
        return "\(network)/\(length)"
    }
}
