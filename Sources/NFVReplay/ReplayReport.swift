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
        /// Packets it generated (replies, errors) or sent after holding them.
        public var emitted: UInt64
        /// Packets it held (waiting for a next hop); they leave later as emitted.
        public var held: UInt64
        /// Drops by reason name.
        public var drops: [String: UInt64]
        /// All drops.
        public var dropped: UInt64 { drops.values.reduce(0, +) }
    }

    /// One port of the replay: its captures and what crossed it.
    public struct Port: Sendable, Equatable {
        /// The port's name in the chain.
        public var name: String
        /// The capture read for frames arriving on it.
        public var receivePath: String?
        /// The capture frames leaving through it were written to.
        public var transmitPath: String?
        /// Frames read.
        public var receivedPackets: UInt64 = 0
        /// Bytes read.
        public var receivedBytes: UInt64 = 0
        /// Frames written.
        public var transmittedPackets: UInt64 = 0
        /// Bytes written.
        public var transmittedBytes: UInt64 = 0

        /// A port with its captures.
        public init(name: String, receivePath: String? = nil, transmitPath: String? = nil) {
            self.name = name
            self.receivePath = receivePath
            self.transmitPath = transmitPath
        }
    }

    /// The chain that ran.
    public var chainName: String
    /// The ports, in chain order.
    public var ports: [Port]
    /// Frames the input ports could not take (too large, no buffer), by reason.
    public var portDrops: [String: UInt64]
    /// Packets that left through a port without a tx capture.
    public var unsentPackets: UInt64
    /// Counters of every stage, in chain order.
    public var stages: [StageLine]
    /// How many batches ran.
    public var batches: Int

    /// The capture written by the second port: where traffic from the first port leaves.
    public var outputPath: String? { ports.count > 1 ? ports[1].transmitPath : nil }

    init(chainName: String, ports: [Port], portDrops: [String: UInt64], unsentPackets: UInt64, chain: Chain, batches: Int) {
        self.chainName = chainName
        self.ports = ports
        self.portDrops = portDrops
        self.unsentPackets = unsentPackets
        self.batches = batches
        self.stages = zip(chain.stages, chain.counters).map { stage, counters in
            StageLine(
                name: stage.name, kind: stage.kind, received: counters.received,
                transmitted: counters.transmitted, punted: counters.punted, emitted: counters.emitted,
                held: counters.held,
                drops: Dictionary(uniqueKeysWithValues: counters.drops.nonZero.map { ($0.reason.name, $0.count) }))
        }
    }

    /// The counters as a table for a terminal.
    public var text: String {
        let received = ports.reduce(0) { $0 + $1.receivedPackets }
        let sent = ports.reduce(0) { $0 + $1.transmittedPackets }
        var lines = [
            "chain \(chainName): \(received) packets in, \(sent) packets out"
                + (unsentPackets > 0 ? ", \(unsentPackets) to ports without a capture" : "")
        ]
        for port in ports where port.receivePath != nil || port.transmitPath != nil {
            var parts: [String] = []
            if let path = port.receivePath { parts.append("rx \(port.receivedPackets) (\(port.receivedBytes) bytes) from \(path)") }
            if let path = port.transmitPath { parts.append("tx \(port.transmittedPackets) (\(port.transmittedBytes) bytes) to \(path)") }
            lines.append("port \(port.name): " + parts.joined(separator: ", "))
        }
        if !portDrops.isEmpty {
            lines.append("input port drops: " + Self.reasons(portDrops))
        }
        let nameWidth = max(5, stages.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.count))
            return left ? text + fill : fill + text
        }
        lines.append(
            pad("stage", nameWidth, left: true) + "  " + pad("kind", 13, left: true)
                + pad("rx", 10) + pad("tx", 10) + pad("punt", 8) + pad("held", 8) + pad("emit", 8) + pad("drop", 8) + "  drop reasons")
        for stage in stages {
            lines.append(
                pad(stage.name, nameWidth, left: true) + "  " + pad(stage.kind, 13, left: true)
                    + pad("\(stage.received)", 10) + pad("\(stage.transmitted)", 10) + pad("\(stage.punted)", 8)
                    + pad("\(stage.held)", 8) + pad("\(stage.emitted)", 8) + pad("\(stage.dropped)", 8) + "  "
                    + (stage.drops.isEmpty ? "-" : Self.reasons(stage.drops)))
        }
        return lines.joined(separator: "\n")
    }

    static func reasons(_ drops: [String: UInt64]) -> String {
        drops.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
