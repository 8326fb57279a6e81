import NFVPacket

/// A firewall instance's configuration (`kind: FirewallConfig`): ordered rules, the default
/// action, and whether the firewall tracks connections.
public struct FirewallConfiguration: Sendable, Equatable {
    /// The configuration's name (`metadata.name`).
    public var name: String
    /// Track connections: packets of allowed connections (both directions) and ICMP errors
    /// about them pass without rule evaluation; packets that do not fit their connection's
    /// state are dropped as INVALID.
    public var stateful: Bool
    /// What happens to packets no rule matches.
    public var defaultAction: FirewallAction
    /// The rules, first match wins.
    public var rules: [FirewallRule]
    /// Connection table size (stateful only).
    public var connectionCapacity: Int
    /// Where the ICMP errors of `reject` come from (at most one IPv4 and one IPv6 address,
    /// IPv4 in IPv4-mapped form). Empty: the address of the chain's router interface on the
    /// port the error leaves by (RFC 1812 4.3.2.4), or, in a chain without a router (a
    /// transparent, bridging firewall), the blocked destination, as Linux's bridge reject does.
    public var rejectFrom: [IPv6Address] = []

    /// A configuration.
    public init(
        name: String, stateful: Bool, defaultAction: FirewallAction, rules: [FirewallRule],
        connectionCapacity: Int = 65_536
    ) {
        self.name = name
        self.stateful = stateful
        self.defaultAction = defaultAction
        self.rules = rules
        self.connectionCapacity = connectionCapacity
    }
}
