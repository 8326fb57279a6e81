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
    /// For a stage a `qos:` section adds: the port whose arriving traffic it polices (the
    /// stage lets everything else by); nil for the stages `spec.stages` lists.
    public var ingressPort: String?
    /// For a stage a `qos:` section adds: that field (`spec.qos.forward`), for errors.
    public var declaredBy: String?
    /// The host the stage runs on (`placement:`, a name in `spec.hosts`); nil: one host.
    public var placement: String?

    public init(
        name: String, vnf: String, config: String?, location: SourceLocation, ingressPort: String? = nil, declaredBy: String? = nil
    ) {
        self.name = name
        self.vnf = vnf
        self.config = config
        self.location = location
        self.ingressPort = ingressPort
        self.declaredBy = declaredBy
    }
}
