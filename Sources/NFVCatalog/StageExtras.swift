import NFVFirewall
import NFVPipeline
import NFVQoS
import NFVSwitch

/// Counters some kinds keep beyond what every stage counts (received, sent, drops by reason):
/// a firewall's hits per rule, a switch's counters per flow. Read from a running stage
/// between two batches, summed over workers with `adding`.
public struct StageExtras: Sendable {
    /// Packets and bytes that met one firewall rule (or the default action, named "default").
    public struct RuleHits: Sendable, Equatable {
        public var name: String
        public var packets: UInt64
        public var bytes: UInt64
    }

    /// One switch flow with its counters.
    public struct FlowCounters: Sendable {
        public let flow: FlowEntry
        public var packets: UInt64
        public var bytes: UInt64
        /// Seconds since the flow was installed.
        public var seconds: Double

        /// The flow as `ovs-ofctl add-flow` takes it (no counters), chain ports by name.
        public func flowText(ports: [String: UInt16]) -> String { FlowSyntax.formatForAdd(flow, ports: ports) }

        /// The flow as `ovs-ofctl dump-flows` prints it, chain ports by name.
        public func dumpLine(ports: [String: UInt16]) -> String {
            FlowSyntax.format(flow, ports: ports, counters: (packets, bytes, seconds))
        }
    }

    /// A firewall's rule hits, in rule order, then the default action's (and rules removed by
    /// a live update, when they had any).
    public var ruleHits: [RuleHits] = []
    /// A switch's flows in table order.
    public var flows: [FlowCounters] = []
    /// A policer's packets and bytes per colour (green, yellow, red). The workers share one
    /// marker, so these are the chain's totals already.
    public var colours: [(colour: String, packets: UInt64, bytes: UInt64)] = []

    public init() {}

    /// The extra counters of `stage` (a path gate is looked through), read at `now`
    /// (nanoseconds of the real-time clock).
    public init(of stage: any Stage, now: UInt64) {
        switch stage.unwrapped {
        case let policer as PolicerStage:
            colours = PacketColour.allCases.map { colour in
                let counted = policer.state.counted(colour)
                return (colour.name, counted.packets, counted.bytes)
            }
        case let switchStage as SwitchStage:
            flows = switchStage.flowStatistics(now: now).map {
                FlowCounters(flow: $0.flow, packets: $0.packets, bytes: $0.bytes, seconds: $0.seconds)
            }
        case let firewall as FirewallStage:
            let hits = firewall.counters
            ruleHits =
                firewall.configuration.rules.enumerated().map { index, rule in
                    let hit = hits.hits(rule: index)
                    return RuleHits(name: rule.name, packets: hit.packets, bytes: hit.bytes)
                } + [RuleHits(name: "default", packets: hits.defaultHits.packets, bytes: hits.defaultHits.bytes)]
                + (hits.retiredHits.packets > 0
                    ? [RuleHits(name: "(removed rules)", packets: hits.retiredHits.packets, bytes: hits.retiredHits.bytes)] : [])
        default:
            break
        }
    }

    /// The sum of two workers' extras for the same stage (a policer's colours are the chain's
    /// already: its workers share one marker).
    public func adding(_ other: StageExtras) -> StageExtras {
        var sum = self
        if other.flows.count == sum.flows.count {
            for index in other.flows.indices {
                sum.flows[index].packets &+= other.flows[index].packets
                sum.flows[index].bytes &+= other.flows[index].bytes
            }
        }
        for (index, hits) in other.ruleHits.enumerated() where index < sum.ruleHits.count {
            sum.ruleHits[index].packets &+= hits.packets
            sum.ruleHits[index].bytes &+= hits.bytes
        }
        return sum
    }
}
