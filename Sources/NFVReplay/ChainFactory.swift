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
        pathsStageName: "a chain with paths classifies traffic into them in a stage of that name",
        pathsStageName + "-egress": "a chain with paths records its connections' paths in a stage of that name",
    ]

    /// The classifier stage of a chain with `paths:`.
    public static let pathsStageName = "paths"

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
                                 portIndex: portIndex(chain), routerAddresses: routerAddresses(chain))
        case "router":
            return RouterStage(name: descriptor.name, configuration: chain.routers[descriptor.name]!,
                               portIndex: portIndex(chain))
        case "load-balancer":
            return LoadBalancerStage(name: descriptor.name, configuration: chain.loadBalancers[descriptor.name]!,
                                     portIndex: portIndex(chain))
        case "nat":
            return NATStage(name: descriptor.name, configuration: chain.nats[descriptor.name]!, portIndex: portIndex(chain),
                            routerAddresses: routerAddresses(chain))
        case "switch":
            // The loader parsed every flow against the switch's ports, which the chain has.
            return try! chain.switches[descriptor.name]!.makeStage(name: descriptor.name, portIndex: portIndex(chain))
        default: preconditionFailure("the loader accepts only known VNF kinds, got \(descriptor.vnf)")
        }
    }

    /// The addresses of the chain's router interfaces by chain port name (the first router's,
    /// in stage order, where two serve one port).
    static func routerAddresses(_ chain: LoadedChain) -> [String: [IPv6Address]] {
        var addresses: [String: [IPv6Address]] = [:]
        for stage in chain.descriptor.stages where stage.vnf == "router" {
            for interface in chain.routers[stage.name]?.interfaces ?? [] where addresses[interface.port] == nil {
                addresses[interface.port] = interface.addresses.map(\.address)
            }
        }
        return addresses
    }

    /// The switch stage that puts packets on their paths: per path a flow from `from` with its
    /// match, and with `symmetric` one from `to` with the reversed match; then the unmatched rule.
    public static func pathClassifier(_ descriptor: ChainDescriptor, affinity: PathAffinity? = nil) -> SwitchStage {
        let ports = Dictionary(descriptor.ports.enumerated().map { ($1.name, UInt16($0)) }, uniquingKeysWith: { first, _ in first })
        var flows: [FlowEntry] = []
        var targets: [SwitchStage.PathTarget] = []
        for (index, path) in descriptor.paths.enumerated() {
            let id = UInt8(index + 1)
            let from = ports[path.from] ?? 0
            let to = ports[path.to] ?? 1
            var match = (try? FlowSyntax.parse((path.match.map { $0 + "," } ?? "") + "actions=drop").match) ?? FlowMatch()
            let reversedMatch = match.reversed
            match.setInPort(from)
            targets.append(.init(name: path.name, path: id, outPort: to))
            flows.append(FlowEntry(priority: UInt16(path.priority), match: match, actions: [.chain(path.name)]))
            if path.symmetric {
                var back = reversedMatch
                back.setInPort(to)
                targets.append(.init(name: path.name + "~reverse", path: id, outPort: from))
                flows.append(FlowEntry(priority: UInt16(path.priority), match: back, actions: [.chain(path.name + "~reverse")]))
            }
        }
        let switchPorts = descriptor.ports.enumerated().map { SwitchStage.Port(name: $1.name, number: UInt16($0), mode: .access(vlan: 1)) }
        flows.append(FlowEntry(priority: 0, actions: descriptor.unmatched == .switch ? [.normal] : []))
        return SwitchStage(name: pathsStageName, ports: switchPorts, flows: flows, paths: targets, affinity: affinity, affinityEntryPort: 0)
    }

    static func portIndex(_ chain: LoadedChain) -> [String: UInt16] {
        var index: [String: UInt16] = [:]
        for (number, port) in chain.descriptor.ports.enumerated() { index[port.name] = UInt16(number) }
        return index
    }

    /// The chain for `loaded`: the parse stage, then the descriptor's stages in order. With
    /// `paths:`, a switch stage after parse classifies each packet into a path (generated
    /// flows: one per path and direction, by priority; unmatched traffic dropped or switched),
    /// and each stage only takes the paths that list it.
    public static func makeChain(_ loaded: LoadedChain, pool: PacketPool,
                                 batchCapacity: Int = PacketBatch.defaultCapacity) -> Chain {
        if !loaded.descriptor.paths.isEmpty {
            let descriptor = loaded.descriptor
            // Replies find their connection's path even after NAT or a load balancer rewrote
            // the addresses: the egress stage records it, the classifier looks it up first.
            let affinity = PathAffinity()
            let classifier = pathClassifier(descriptor, affinity: affinity)
            let gated: [any Stage] = descriptor.stages.map { stage in
                let members = Set(descriptor.paths.enumerated().filter { $0.element.through.contains(stage.name) }.map { UInt8($0.offset + 1) })
                return PathGateStage(makeStage(stage, chain: loaded), paths: members, batchCapacity: batchCapacity)
            }
            // The egress stage runs last for forward traffic (stages run in reverse for replies,
            // where it runs first and does nothing).
            let egress = PathEgressStage(name: pathsStageName + "-egress", affinity: affinity)
            return Chain(stages: [ParseStage(name: parseStageName), classifier] + gated + [egress], pool: pool,
                         batchCapacity: batchCapacity, ingressStageCount: 2)
        }
        let stages: [any Stage] = [ParseStage(name: parseStageName)]
            + loaded.descriptor.stages.map { makeStage($0, chain: loaded) }
        return Chain(stages: stages, pool: pool, batchCapacity: batchCapacity, ingressStageCount: 1)
    }
}
