/// What a firewall does with a packet a rule (or the default) matched.
public enum FirewallAction: String, Sendable, CaseIterable {
    /// Let it through (and, when stateful, track its connection so replies pass).
    case allow
    /// Discard it silently.
    case drop
    /// Discard it and tell the sender: a TCP RST for TCP, an ICMP / ICMPv6 port unreachable
    /// for anything else.
    case reject
}
