import NFVPacket

/// A router interface: attached to a chain port, with a MAC address, addresses and an MTU.
public struct RouterInterface: Sendable, Equatable {
    /// The interface's name (`lan`).
    public var name: String
    /// The chain port it is attached to (`inside`).
    public var port: String
    /// Its MAC address (source of every frame it sends).
    public var mac: MACAddress
    /// Its IPv4 and IPv6 addresses with their subnets (connected routes).
    public var addresses: [InterfaceAddress]
    /// The largest IP packet it sends, in bytes.
    public var mtu: Int

    /// An interface.
    public init(name: String, port: String, mac: MACAddress, addresses: [InterfaceAddress], mtu: Int = 1500) {
        self.name = name
        self.port = port
        self.mac = mac
        self.addresses = addresses
        self.mtu = mtu
    }

    /// The IPv6 link-local address derived from the MAC (modified EUI-64, RFC 4291 appendix A).
    public var linkLocal: IPv6Address {
        let value = mac.rawValue
        let upper = (value >> 24) ^ 0x02_0000  // flip the universal/local bit
        let interfaceID = upper << 40 | 0xFF_FE00_0000 | (value & 0xFF_FFFF)
        return IPv6Address(high: 0xFE80_0000_0000_0000, low: interfaceID)
    }
}
