import NFVDescriptors

/// The VNF kinds a chain's `vnf:` may name: the one list of them. The descriptor loader takes
/// its choices from here; everything a kind does (load, build, update live, describe, count)
/// is a `switch` over `VNFConfiguration`, so the compiler names every place a new kind must
/// fill in.
public enum VNFKind: String, CaseIterable, Sendable {
    case decrementTTL = "decrement-ttl"
    case firewall
    case loadBalancer = "load-balancer"
    case nat
    case passThrough = "pass-through"
    case policer
    case router
    case `switch`

    /// The name a descriptor uses (`vnf: load-balancer`).
    public var name: String { rawValue }

    /// The configuration of a kind that takes no `config:` file; nil for kinds that need one.
    public var builtInConfiguration: VNFConfiguration? {
        switch self {
        case .decrementTTL: .decrementTTL
        case .passThrough: .passThrough
        case .firewall, .loadBalancer, .nat, .policer, .router, .switch: nil
        }
    }

    /// Whether a stage of this kind needs a `config:` file.
    public var needsConfiguration: Bool { builtInConfiguration == nil }

    /// Loads this kind's configuration file, with the chain ports it names (which the chain
    /// must have). Kinds without a file return their built-in configuration.
    public func loadConfiguration(path: String) throws(DescriptorErrorList)
        -> (configuration: VNFConfiguration, portReferences: [PortReference])
    {
        switch self {
        case .decrementTTL: return (.decrementTTL, [])
        case .passThrough: return (.passThrough, [])
        case .firewall:
            let loaded = try FirewallConfigLoader().load(path: path)
            return (.firewall(loaded.configuration), loaded.portReferences)
        case .loadBalancer:
            let loaded = try LoadBalancerConfigLoader().load(path: path)
            return (.loadBalancer(loaded.configuration), loaded.portReferences)
        case .nat:
            let loaded = try NATConfigLoader().load(path: path)
            return (.nat(loaded.configuration), loaded.portReferences)
        case .policer:
            let loaded = try PolicerConfigLoader().load(path: path)
            return (.policer(loaded.configuration), loaded.portReferences)
        case .router:
            let loaded = try RouterConfigLoader().load(path: path)
            return (.router(loaded.configuration), loaded.portReferences)
        case .switch:
            let loaded = try SwitchConfigLoader().load(path: path)
            return (.switch(loaded.configuration), loaded.portReferences)
        }
    }
}
