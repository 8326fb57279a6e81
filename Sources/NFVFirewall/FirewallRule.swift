/// One named rule: when `match` holds, do `action`.
public struct FirewallRule: Sendable, Equatable {
    /// The rule's name, unique in its configuration (counters are reported by it).
    public var name: String
    /// The conditions.
    public var match: FirewallMatch
    /// What to do.
    public var action: FirewallAction

    /// A rule.
    public init(name: String, match: FirewallMatch, action: FirewallAction) {
        self.name = name
        self.match = match
        self.action = action
    }
}
