/// A service chain: its identity, its ports and its ordered stages (`kind: Chain`).
///
/// Traffic entering on the first port passes the stages in order and leaves on the second;
/// traffic entering on the second passes them in reverse and leaves on the first, unless a
/// stage (a router) chooses another port.
public struct ChainDescriptor: Sendable, Equatable {
    /// The API version this build reads.
    public static let apiVersion = "nfv/v1"

    /// `metadata.name`: the chain's identity.
    public var name: String
    /// The ports, in declaration order.
    public var ports: [PortDescriptor]
    /// The stages, in order.
    public var stages: [StageDescriptor]
    /// The file the chain was read from.
    public var file: String

    /// The index of the port called `name`.
    public func portIndex(named name: String) -> Int? {
        ports.firstIndex { $0.name == name }
    }
}
