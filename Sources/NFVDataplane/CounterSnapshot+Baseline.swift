import NFVPacket
import NFVPipeline

extension CounterSnapshot {
    /// These counters as a baseline a successor counts on from (`CounterBaseline`).
    public var baseline: CounterBaseline {
        func names(_ drops: [DropReason: UInt64]) -> [String: UInt64] {
            Dictionary(uniqueKeysWithValues: drops.map { ($0.key.name, $0.value) })
        }
        return CounterBaseline(
            ports: ports.map {
                CounterBaseline.Port(
                    name: $0.name, receivedPackets: $0.receivedPackets, receivedBytes: $0.receivedBytes,
                    transmittedPackets: $0.transmittedPackets, transmittedBytes: $0.transmittedBytes, drops: names($0.drops))
            },
            stages: stages.map { stage in
                CounterBaseline.Stage(
                    name: stage.name, received: stage.received, transmitted: stage.transmitted, emitted: stage.emitted, held: stage.held,
                    punted: stage.punted, drops: names(stage.drops),
                    ruleHits: Dictionary(stage.ruleHits.map { ($0.name, [$0.packets, $0.bytes]) }, uniquingKeysWith: { first, _ in first }))
            },
            handedOff: handedOff)
    }

    /// These counters with `baseline` added: ports and stages by name, drops by reason, rule
    /// hits by rule name (what the baseline has that this chain has not is left out).
    public func adding(_ baseline: CounterBaseline) -> CounterSnapshot {
        var sum = self
        for base in baseline.ports {
            guard let index = sum.ports.firstIndex(where: { $0.name == base.name }) else { continue }
            sum.ports[index].receivedPackets &+= base.receivedPackets
            sum.ports[index].receivedBytes &+= base.receivedBytes
            sum.ports[index].transmittedPackets &+= base.transmittedPackets
            sum.ports[index].transmittedBytes &+= base.transmittedBytes
            for (name, count) in base.drops {
                if let reason = DropReason(name: name) { sum.ports[index].drops[reason, default: 0] &+= count }
            }
        }
        for base in baseline.stages {
            guard let index = sum.stages.firstIndex(where: { $0.name == base.name }) else { continue }
            sum.stages[index].received &+= base.received
            sum.stages[index].transmitted &+= base.transmitted
            sum.stages[index].emitted &+= base.emitted
            sum.stages[index].held &+= base.held
            sum.stages[index].punted &+= base.punted
            for (name, count) in base.drops {
                if let reason = DropReason(name: name) { sum.stages[index].drops[reason, default: 0] &+= count }
            }
            for (rule, hits) in base.ruleHits where hits.count == 2 {
                guard let hit = sum.stages[index].extras.ruleHits.firstIndex(where: { $0.name == rule }) else { continue }
                sum.stages[index].extras.ruleHits[hit].packets &+= hits[0]
                sum.stages[index].extras.ruleHits[hit].bytes &+= hits[1]
            }
        }
        sum.handedOff &+= baseline.handedOff
        return sum
    }
}
