/// A stage of a chain as its descriptor declares it.
public struct StageDescriptor: Sendable, Equatable {
    /// The stage's name in the chain (`ttl`), unique within it.
    public var name: String
    /// The VNF kind (`decrement-ttl`).
    public var vnf: String
    /// Path of the VNF's configuration file, resolved against the chain file's folder.
    public var config: String?
    /// Where the stage is declared.
    public var location: SourceLocation
}
