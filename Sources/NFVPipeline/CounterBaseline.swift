/// A chain's counters when its state was taken (`ChainState.counters`): what a data plane that
/// takes the chain over (a migration) starts counting from, so the chain's counters go on
/// instead of starting at zero as after a restart. Ports and stages by name; drops by reason
/// name; a firewall's rule hits by rule name. (A switch's per-flow counters and the fast
/// path's start again.)
public struct CounterBaseline: Codable, Sendable, Equatable {
    public struct Port: Codable, Sendable, Equatable {
        public var name: String
        public var receivedPackets: UInt64
        public var receivedBytes: UInt64
        public var transmittedPackets: UInt64
        public var transmittedBytes: UInt64
        public var drops: [String: UInt64]

        public init(
            name: String, receivedPackets: UInt64, receivedBytes: UInt64, transmittedPackets: UInt64, transmittedBytes: UInt64,
            drops: [String: UInt64]
        ) {
            self.name = name
            self.receivedPackets = receivedPackets
            self.receivedBytes = receivedBytes
            self.transmittedPackets = transmittedPackets
            self.transmittedBytes = transmittedBytes
            self.drops = drops
        }
    }

    public struct Stage: Codable, Sendable, Equatable {
        public var name: String
        public var received: UInt64
        public var transmitted: UInt64
        public var emitted: UInt64
        public var held: UInt64
        public var punted: UInt64
        public var drops: [String: UInt64]
        /// A firewall's rule hits by rule name: packets, bytes.
        public var ruleHits: [String: [UInt64]]

        public init(
            name: String, received: UInt64, transmitted: UInt64, emitted: UInt64, held: UInt64, punted: UInt64,
            drops: [String: UInt64], ruleHits: [String: [UInt64]]
        ) {
            self.name = name
            self.received = received
            self.transmitted = transmitted
            self.emitted = emitted
            self.held = held
            self.punted = punted
            self.drops = drops
            self.ruleHits = ruleHits
        }
    }

    public var ports: [Port]
    public var stages: [Stage]
    /// Frames handed to the worker owning their flow.
    public var handedOff: UInt64

    public init(ports: [Port], stages: [Stage], handedOff: UInt64) {
        self.ports = ports
        self.stages = stages
        self.handedOff = handedOff
    }
}
