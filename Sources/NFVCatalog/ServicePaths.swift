import NFVDescriptors
import NFVPacket
import NFVPipeline
import NFVSwitch

/// Service paths (`spec.paths`): a switch stage after parse puts each packet on a path, gates
/// let each stage take only the paths that list it, and an egress stage records which path a
/// connection took so its replies, after NAT or a load balancer rewrote them, find it again.
public enum ServicePaths {
    /// The classifier stage of a chain with `paths:`.
    public static let classifierStageName = "paths"
    /// The stage that records each connection's path.
    public static let egressStageName = "paths-egress"

    /// The switch stage that puts packets on their paths: per path a flow from `from` with its
    /// match, and with `symmetric` one from `to` with the reversed match; then the unmatched rule.
    public static func classifier(_ descriptor: ChainDescriptor, affinity: PathAffinity? = nil) -> SwitchStage {
        let ports = descriptor.portNumbers
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
        return SwitchStage(
            name: classifierStageName, ports: switchPorts, flows: flows, paths: targets, affinity: affinity,
            affinityEntryPort: 0)
    }

    /// The chain of `descriptor` (which has paths) around its built `stages`: parse, the
    /// classifier, each stage behind a gate, the egress stage.
    static func makeChain(_ descriptor: ChainDescriptor, stages: [any Stage], pool: PacketPool, batchCapacity: Int) -> Chain {
        // Replies find their connection's path even after NAT or a load balancer rewrote
        // the addresses: the egress stage records it, the classifier looks it up first.
        let affinity = PathAffinity()
        let classifier = classifier(descriptor, affinity: affinity)
        let gated: [any Stage] = zip(descriptor.stages, stages).map { stage, built in
            let members = Set(descriptor.paths.enumerated().filter { $0.element.through.contains(stage.name) }.map { UInt8($0.offset + 1) })
            return PathGateStage(built, paths: members, batchCapacity: batchCapacity)
        }
        // The egress stage runs last for forward traffic (stages run in reverse for replies,
        // where it runs first and does nothing).
        let egress = PathEgressStage(name: egressStageName, affinity: affinity)
        return Chain(
            stages: [ParseStage(name: ChainAssembly.parseStageName), classifier] + gated + [egress], pool: pool,
            batchCapacity: batchCapacity, ingressStageCount: 2)
    }
}
