/// A port of a chain as its descriptor declares it. Port order matters: traffic entering on
/// the first port passes the stages in order, traffic entering on any other port in reverse.
public struct PortDescriptor: Sendable, Equatable {
    /// Kinds of port the platform can open.
    public enum Kind: String, Sendable, CaseIterable {
        /// Capture files: frames read from `rx` arrive on the port, frames leaving through the
        /// port are written to `tx`.
        case pcap = "pcap"
        /// Shorthand for a `pcap` port with only `rx` (`path:`).
        case pcapIn = "pcap-in"
        /// Shorthand for a `pcap` port with only `tx` (`path:`).
        case pcapOut = "pcap-out"
    }

    /// The port's name in the chain (`inside`).
    public var name: String
    /// What kind of port it is.
    public var kind: Kind
    /// The capture whose frames arrive on this port, resolved against the chain file's folder.
    public var receivePath: String?
    /// The capture that frames leaving through this port are written to.
    public var transmitPath: String?
    /// Where the port is declared.
    public var location: SourceLocation

    /// Creates a port description.
    public init(name: String, kind: Kind, receivePath: String?, transmitPath: String?, location: SourceLocation) {
        self.name = name
        self.kind = kind
        self.receivePath = receivePath
        self.transmitPath = transmitPath
        self.location = location
    }
}
