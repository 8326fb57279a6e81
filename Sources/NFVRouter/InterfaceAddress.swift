import NFVPacket

/// An address configured on a router interface, with the length of its subnet
/// (`10.0.1.1/24`). IPv4 addresses are held IPv4-mapped.
public struct InterfaceAddress: Sendable, Equatable, CustomStringConvertible {
    /// The interface's own address.
    public var address: IPv6Address
    /// Prefix length in the family's own terms (24 for 10.0.1.1/24, 64 for fd00::1/64).
    public var prefixLength: Int
    /// True for IPv4.
    public var isIPv4: Bool

    /// Parses `10.0.1.1/24` or `fd00:1::1/64`; the host bits are the interface's address.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let length = Int(parts[1]) else { return nil }
        if let v4 = IPv4Address(parts[0]), (1...32).contains(length) {
            self.init(address: IPv6Address(ipv4Mapped: v4), prefixLength: length, isIPv4: true)
        } else if let v6 = IPv6Address(parts[0]), (1...128).contains(length) {
            self.init(address: v6, prefixLength: length, isIPv4: false)
        } else {
            return nil
        }
    }

    /// An address from its parts.
    public init(address: IPv6Address, prefixLength: Int, isIPv4: Bool) {
        self.address = address
        self.prefixLength = prefixLength
        self.isIPv4 = isIPv4
    }

    /// The connected subnet.
    public var subnet: IPPrefix {
        IPPrefix(network: address, length: isIPv4 ? 96 + prefixLength : prefixLength, isIPv4: isIPv4)
    }

    /// The IPv4 address, when this is one.
    public var ipv4: IPv4Address? { isIPv4 ? address.ipv4Mapped : nil }

    public var description: String {
        if let v4 = ipv4 { return "\(v4)/\(prefixLength)" }
        return "\(address)/\(prefixLength)"
    }
}
