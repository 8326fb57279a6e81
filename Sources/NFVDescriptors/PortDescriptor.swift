/// A port of a chain as its descriptor declares it.
public struct PortDescriptor: Sendable, Equatable {
    /// Kinds of port the platform can open.
    public enum Kind: String, Sendable, CaseIterable {
        /// Frames read from a capture file.
        case pcapIn = "pcap-in"
        /// Frames written to a capture file.
        case pcapOut = "pcap-out"
    }

    /// The port's name in the chain (`inside`).
    public var name: String
    /// What kind of port it is.
    public var kind: Kind
    /// For capture ports: the file, resolved against the chain file's folder.
    public var path: String?
    /// Where the port is declared.
    public var location: SourceLocation
}
