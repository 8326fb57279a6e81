import NFVPacket

/// A static route: packets for `destination` go to `gateway` (a neighbour on a connected
/// subnet), or straight out of `interface` when there is no gateway.
public struct RouterRoute: Sendable, Equatable {
    /// The destination prefix.
    public var destination: IPPrefix
    /// The next hop (IPv4 as IPv4-mapped), or nil for an on-link route.
    public var gateway: IPv6Address?
    /// The egress interface's name; nil means the interface whose subnet holds the gateway.
    public var interface: String?

    /// A route.
    public init(destination: IPPrefix, gateway: IPv6Address?, interface: String?) {
        self.destination = destination
        self.gateway = gateway
        self.interface = interface
    }
}
