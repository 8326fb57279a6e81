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

    /// A configuration.
    public init(name: String, stateful: Bool, defaultAction: FirewallAction, rules: [FirewallRule],
                connectionCapacity: Int = 65_536) {
        self.name = name
        self.stateful = stateful
        self.defaultAction = defaultAction
        self.rules = rules
        self.connectionCapacity = connectionCapacity
    }
}
