import NFVDescriptors
import NFVFirewall
import NFVPacket
import NFVLoadBalancer
import NFVNAT
import NFVPipeline
import NFVRouter
import NFVSwitch

/// A chain descriptor with the VNF configurations its stages reference, all validated.
public struct LoadedChain: Sendable {
    /// The chain.
    public var descriptor: ChainDescriptor
    /// Firewall configurations by stage name.
    public var firewalls: [String: FirewallConfiguration]
    /// Router configurations by stage name.
    public var routers: [String: RouterConfiguration]
    /// NAT configurations by stage name.
    public var nats: [String: NATConfiguration] = [:]
    /// Load-balancer configurations by stage name.
    public var loadBalancers: [String: LoadBalancerConfiguration] = [:]
    /// Switch configurations by stage name.
    public var switches: [String: SwitchConfiguration] = [:]

    /// A chain with the configurations of its stages.
    public init(descriptor: ChainDescriptor, firewalls: [String: FirewallConfiguration] = [:],
                routers: [String: RouterConfiguration] = [:]) {
        self.descriptor = descriptor
        self.firewalls = firewalls
        self.routers = routers
    }
}

/// Builds runnable chains from descriptors: maps each `vnf:` kind to its stage and puts the
/// ingress parse stage in front (every chain parses at ingress, as a switch would, so stages
/// can rely on the offsets in the metadata).
public enum ChainFactory {
    /// The name of the implicit first stage.
    public static let parseStageName = "parse"

    /// The VNF kinds this build can run.
    public static let knownVNFKinds = ["decrement-ttl", "firewall", "load-balancer", "nat", "pass-through", "router", "switch"]

    /// Kinds that need a `config:` file.
    static let configuredKinds: Set<String> = ["firewall", "load-balancer", "nat", "router", "switch"]

    /// Stage names the descriptor may not use, with the reason.
    public static let reservedStageNames = [
        Chain.receiveTracePoint: "it names the chain input trace point",
        parseStageName: "every chain parses at ingress in a stage of that name",
    ]

    /// A loader that knows this build's VNF kinds.
    public static var loader: ChainDescriptorLoader {
        ChainDescriptorLoader(knownVNFKinds: knownVNFKinds, reservedStageNames: reservedStageNames)
    }

    /// Loads the chain in `path` and every configuration its stages reference; every problem
    /// in any of the files is reported at once. `configOverrides` (stage name -> file) replaces
    /// a stage's `config:` path: the orchestrator runs a chain from its frozen copies.
    public static func load(path: String, configOverrides: [String: String] = [:]) throws(DescriptorErrorList) -> LoadedChain {
        var loader = self.loader
        loader.configOverrides = configOverrides
        let descriptor = try loader.load(path: path)
        var errors: [DescriptorError] = []
        var firewalls: [String: FirewallConfiguration] = [:]
        var routers: [String: RouterConfiguration] = [:]
        var nats: [String: NATConfiguration] = [:]
        var loadBalancers: [String: LoadBalancerConfiguration] = [:]
        var switches: [String: SwitchConfiguration] = [:]
        let portNames = descriptor.ports.map(\.name)
        for (index, stage) in descriptor.stages.enumerated() {
            let field = "spec.stages[\(index)].config"
            guard configuredKinds.contains(stage.vnf) else {
                if stage.config != nil {
                    errors.append(DescriptorError(location: stage.location, field: field,
                                                  message: "a \(stage.vnf) stage takes no configuration", fix: "remove \"config:\""))
                }
                continue
            }
            guard let config = stage.config else {
                errors.append(DescriptorError(location: stage.location, field: field,
                                              message: "a \(stage.vnf) stage needs a configuration file",
                                              fix: "add \"config: ../vnf-configs/NAME.yaml\" (relative to the chain file)"))
                continue
            }
            do {
                let references: [PortReference]
                if stage.vnf == "load-balancer" {
                    let loaded = try LoadBalancerConfigLoader().load(path: config)
                    loadBalancers[stage.name] = loaded.configuration
                    references = loaded.portReferences
                } else if stage.vnf == "nat" {
                    let loaded = try NATConfigLoader().load(path: config)
                    nats[stage.name] = loaded.configuration
                    references = loaded.portReferences
                } else if stage.vnf == "switch" {
                    let loaded = try SwitchConfigLoader().load(path: config)
                    switches[stage.name] = loaded.configuration
                    references = loaded.portReferences
                } else if stage.vnf == "router" {
                    let loaded = try RouterConfigLoader().load(path: config)
                    routers[stage.name] = loaded.configuration
                    references = loaded.portReferences
                } else {
                    let loaded = try FirewallConfigLoader().load(path: config)
                    firewalls[stage.name] = loaded.configuration
                    references = loaded.portReferences
                }
                for reference in references where !portNames.contains(reference.name) {
                    let fix = Suggestion.closest(to: reference.name, in: portNames).map { "did you mean \"\($0)\"?" }
                        ?? "chain \(descriptor.name) has ports " + Suggestion.list(portNames)
                    errors.append(DescriptorError(location: reference.location, field: reference.field,
                                                  message: "chain \(descriptor.name) has no port \"\(reference.name)\"", fix: fix))
                }
            } catch {
                errors += error.errors
            }
        }
        guard errors.isEmpty else { throw DescriptorErrorList(errors) }
        var loaded = LoadedChain(descriptor: descriptor, firewalls: firewalls, routers: routers)
        loaded.nats = nats
        loaded.loadBalancers = loadBalancers
        loaded.switches = switches
        return loaded
    }

    /// The stage for one descriptor entry.
    public static func makeStage(_ descriptor: StageDescriptor, chain: LoadedChain) -> any Stage {
        switch descriptor.vnf {
        case "decrement-ttl": return DecrementTTLStage(name: descriptor.name)
        case "pass-through": return PassThroughStage(name: descriptor.name)
        case "firewall":
            return FirewallStage(name: descriptor.name, configuration: chain.firewalls[descriptor.name]!,
                                 portIndex: portIndex(chain))
        case "router":
            return RouterStage(name: descriptor.name, configuration: chain.routers[descriptor.name]!,
                               portIndex: portIndex(chain))
        case "load-balancer":
            return LoadBalancerStage(name: descriptor.name, configuration: chain.loadBalancers[descriptor.name]!,
                                     portIndex: portIndex(chain))
        case "nat":
            return NATStage(name: descriptor.name, configuration: chain.nats[descriptor.name]!, portIndex: portIndex(chain))
        case "switch":
            // The loader parsed every flow against the switch's ports, which the chain has.
            return try! chain.switches[descriptor.name]!.makeStage(name: descriptor.name, portIndex: portIndex(chain))
        default: preconditionFailure("the loader accepts only known VNF kinds, got \(descriptor.vnf)")
        }
    }

    static func portIndex(_ chain: LoadedChain) -> [String: UInt16] {
        var index: [String: UInt16] = [:]
        for (number, port) in chain.descriptor.ports.enumerated() { index[port.name] = UInt16(number) }
        return index
    }

    /// The chain for `loaded`: the parse stage, then the descriptor's stages in order.
    public static func makeChain(_ loaded: LoadedChain, pool: PacketPool,
                                 batchCapacity: Int = PacketBatch.defaultCapacity) -> Chain {
        let stages: [any Stage] = [ParseStage(name: parseStageName)]
            + loaded.descriptor.stages.map { makeStage($0, chain: loaded) }
        return Chain(stages: stages, pool: pool, batchCapacity: batchCapacity, ingressStageCount: 1)
    }
}
