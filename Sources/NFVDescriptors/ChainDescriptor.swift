/// A service chain: its identity, its ports and its ordered stages (`kind: Chain`).
///
/// Traffic enters on the first port, passes the stages in order and leaves on the second.
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

    /// The first port of `kind`, if any.
    public func firstPort(of kind: PortDescriptor.Kind) -> PortDescriptor? {
        ports.first { $0.kind == kind }
    }
}
