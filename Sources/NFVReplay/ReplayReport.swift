import NFVPacket
import NFVPipeline

/// What a replay did: packets and bytes at the ports and the counters of every stage.
public struct ReplayReport: Sendable {
    /// Counters of one stage.
    public struct StageLine: Sendable, Equatable {
        /// Stage name.
        public var name: String
        /// VNF kind.
        public var kind: String
        /// Packets handed to the stage.
        public var received: UInt64
        /// Packets it forwarded.
        public var transmitted: UInt64
        /// Packets it punted.
        public var punted: UInt64
        /// Drops by reason name.
        public var drops: [String: UInt64]
        /// All drops.
        public var dropped: UInt64 { drops.values.reduce(0, +) }
    }

    /// The chain that ran.
    public var chainName: String
    /// The capture read.
    public var inputPath: String
    /// The capture written.
    public var outputPath: String
    /// Frames read from the input.
    public var receivedPackets: UInt64
    /// Bytes read from the input.
    public var receivedBytes: UInt64
    /// Frames the input port could not take (too large, no buffer), by reason.
    public var portDrops: [String: UInt64]
    /// Frames written to the output.
    public var transmittedPackets: UInt64
    /// Bytes written to the output.
    public var transmittedBytes: UInt64
    /// Counters of every stage, in chain order.
    public var stages: [StageLine]
    /// How many batches ran.
    public var batches: Int

    init(chainName: String, inputPath: String, outputPath: String, source: PortCounters,
         sink: PortCounters, chain: Chain, batches: Int) {
        self.chainName = chainName
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.receivedPackets = source.receivedPackets
        self.receivedBytes = source.receivedBytes
        self.portDrops = Dictionary(uniqueKeysWithValues: source.drops.nonZero.map { ($0.reason.name, $0.count) })
        self.transmittedPackets = sink.transmittedPackets
        self.transmittedBytes = sink.transmittedBytes
        self.batches = batches
        self.stages = zip(chain.stages, chain.counters).map { stage, counters in
            StageLine(name: stage.name, kind: stage.kind, received: counters.received,
                      transmitted: counters.transmitted, punted: counters.punted,
                      drops: Dictionary(uniqueKeysWithValues: counters.drops.nonZero.map { ($0.reason.name, $0.count) }))
        }
    }

    /// The counters as a table for a terminal.
    public var text: String {
        var lines = ["chain \(chainName): \(receivedPackets) packets (\(receivedBytes) bytes) in from \(inputPath), "
            + "\(transmittedPackets) packets (\(transmittedBytes) bytes) out to \(outputPath)"]
        if !portDrops.isEmpty {
            lines.append("input port drops: " + Self.reasons(portDrops))
        }
        let nameWidth = max(5, stages.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + fill : fill + text
        }
        lines.append(pad("stage", nameWidth, left: true) + "  " + pad("kind", 13, left: true)
            + pad("rx", 10) + pad("tx", 10) + pad("punt", 8) + pad("drop", 8) + "  drop reasons")
        for stage in stages {
            lines.append(pad(stage.name, nameWidth, left: true) + "  " + pad(stage.kind, 13, left: true)
                + pad("\(stage.received)", 10) + pad("\(stage.transmitted)", 10) + pad("\(stage.punted)", 8)
                + pad("\(stage.dropped)", 8) + "  " + (stage.drops.isEmpty ? "-" : Self.reasons(stage.drops)))
        }
        return lines.joined(separator: "\n")
    }

    static func reasons(_ drops: [String: UInt64]) -> String {
        drops.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
