/// A chain port named inside a VNF configuration (a firewall rule's `inPort`), kept with its
/// location so the chain loader can report a name the chain does not have.
public struct PortReference: Sendable, Equatable {
    /// The port name.
    public var name: String
    /// Where the configuration names it.
    public var location: SourceLocation
    /// The field path (`spec.rules[2].match.inPort`).
    public var field: String
}
