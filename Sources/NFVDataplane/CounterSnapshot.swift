import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// The counters of a live chain at one moment, as plain values: per chain port (summed over
/// its queues) and per stage (summed over the workers). Workers produce one each between two
/// rounds; `adding` sums them.
public struct CounterSnapshot: Sendable {
    public struct Port: Sendable {
        public var name: String
        public var device: String
        public var receivedPackets: UInt64 = 0
        public var receivedBytes: UInt64 = 0
        public var transmittedPackets: UInt64 = 0
        public var transmittedBytes: UInt64 = 0
        public var drops: [DropReason: UInt64] = [:]
        /// Queues whose device went away.
        public var downQueues = 0
        public var downEvents = 0
    }

    public struct Stage: Sendable {
        public var name: String
        public var kind: String
        public var received: UInt64 = 0
        public var transmitted: UInt64 = 0
        public var emitted: UInt64 = 0
        public var held: UInt64 = 0
        public var punted: UInt64 = 0
        public var drops: [DropReason: UInt64] = [:]
        /// What the stage's kind counts beyond this (firewall rule hits, switch flows).
        public var extras = StageExtras()
        /// A firewall's rule hit counters, in rule order, then the default action's.
        public var ruleHits: [StageExtras.RuleHits] { extras.ruleHits }
        /// A switch's flows with their counters.
        public var flows: [StageExtras.FlowCounters] { extras.flows }
        public var dropCount: UInt64 { drops.values.reduce(0, &+) }
    }

    /// What the chain's fast path did (`Chain.fastPath`), summed over the workers.
    public struct FastPath: Sendable {
        public var hits: UInt64 = 0
        public var misses: UInt64 = 0
        public var learned: UInt64 = 0
        public var invalidated: UInt64 = 0
        public var full: UInt64 = 0
        public var flushes: UInt64 = 0
        /// Flows cached now.
        public var cached = 0

        func adding(_ other: FastPath) -> FastPath {
            FastPath(
                hits: hits &+ other.hits, misses: misses &+ other.misses, learned: learned &+ other.learned,
                invalidated: invalidated &+ other.invalidated, full: full &+ other.full, flushes: flushes &+ other.flushes,
                cached: cached + other.cached)
        }
    }

    public var ports: [Port]
    public var stages: [Stage]
    /// The fast path's counters; nil when the chain runs without one.
    public var fastPath: FastPath?
    /// Frames handed to the worker that owns their flow.
    public var handedOff: UInt64 = 0
    /// How many workers were summed.
    public var workerCount = 1

    /// A snapshot of nothing (a chain without workers).
    public init(ports: [Port] = [], stages: [Stage] = []) {
        self.ports = ports
        self.stages = stages
        workerCount = 0
    }

    /// One worker's counters: its queue of every port and its copy of the chain.
    init(portNames: [String], queues: [TapPort], chain: Chain, handedOff: UInt64) {
        ports = zip(portNames, queues).map { name, queue in
            let counters = queue.counters
            var port = Port(name: name, device: queue.name)
            port.receivedPackets = counters.receivedPackets
            port.receivedBytes = counters.receivedBytes
            port.transmittedPackets = counters.transmittedPackets
            port.transmittedBytes = counters.transmittedBytes
            for (reason, count) in counters.drops.nonZero { port.drops[reason] = count }
            port.downQueues = queue.isDown ? 1 : 0
            port.downEvents = queue.downEvents
            return port
        }
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        let now = UInt64(clock.tv_sec) &* 1_000_000_000 &+ UInt64(clock.tv_nsec)
        stages = zip(chain.stages, chain.counters).map { stage, counters in
            var entry = Stage(name: stage.name, kind: stage.kind)
            entry.received = counters.received
            entry.transmitted = counters.transmitted
            entry.emitted = counters.emitted
            entry.held = counters.held
            entry.punted = counters.punted
            for (reason, count) in counters.drops.nonZero { entry.drops[reason] = count }
            entry.extras = StageExtras(of: stage, now: now)
            return entry
        }
        self.handedOff = handedOff
        if let fastPath = chain.fastPath {
            let counters = fastPath.counters
            self.fastPath = FastPath(
                hits: counters.hits, misses: counters.misses, learned: counters.learned,
                invalidated: counters.invalidated, full: counters.full, flushes: counters.flushes,
                cached: fastPath.cache.count)
        }
    }

    /// The sum of two workers' counters (the same chain, so ports and stages line up).
    public func adding(_ other: CounterSnapshot) -> CounterSnapshot {
        var sum = self
        for index in sum.ports.indices where index < other.ports.count {
            let port = other.ports[index]
            sum.ports[index].receivedPackets &+= port.receivedPackets
            sum.ports[index].receivedBytes &+= port.receivedBytes
            sum.ports[index].transmittedPackets &+= port.transmittedPackets
            sum.ports[index].transmittedBytes &+= port.transmittedBytes
            sum.ports[index].drops.merge(port.drops, uniquingKeysWith: &+)
            sum.ports[index].downQueues += port.downQueues
            sum.ports[index].downEvents += port.downEvents
        }
        for index in sum.stages.indices where index < other.stages.count {
            let stage = other.stages[index]
            sum.stages[index].received &+= stage.received
            sum.stages[index].transmitted &+= stage.transmitted
            sum.stages[index].emitted &+= stage.emitted
            sum.stages[index].held &+= stage.held
            sum.stages[index].punted &+= stage.punted
            sum.stages[index].drops.merge(stage.drops, uniquingKeysWith: &+)
            sum.stages[index].extras = sum.stages[index].extras.adding(stage.extras)
        }
        sum.handedOff &+= other.handedOff
        if let mine = sum.fastPath, let theirs = other.fastPath { sum.fastPath = mine.adding(theirs) }
        sum.workerCount += other.workerCount
        return sum
    }
}

extension CounterSnapshot {
    /// The counters as one line of JSON (for the orchestrator): ports (with `down` while a
    /// queue's carrier is off), stages with drops by reason name, firewall rule hits, switch
    /// flows with their counters.
    public var json: String {
        func text(_ value: String) -> String {
            var escaped = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case _ where scalar.value < 0x20:
                    escaped += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return escaped + "\""
        }
        func drops(_ drops: [DropReason: UInt64]) -> String {
            "{" + DropReason.allCases.compactMap { reason in drops[reason].map { "\(text(reason.name)):\($0)" } }.joined(separator: ",") + "}"
        }
        let ports = self.ports.map { port in
            "{\"name\":\(text(port.name)),\"device\":\(text(port.device)),\"rxPackets\":\(port.receivedPackets),"
                + "\"rxBytes\":\(port.receivedBytes),\"txPackets\":\(port.transmittedPackets),\"txBytes\":\(port.transmittedBytes),"
                + "\"drops\":\(drops(port.drops)),\"down\":\(port.downQueues > 0)}"
        }
        let portNumbers = Dictionary(self.ports.enumerated().map { ($1.name, UInt16($0)) }, uniquingKeysWith: { first, _ in first })
        let stages = self.stages.map { stage in
            "{\"name\":\(text(stage.name)),\"kind\":\(text(stage.kind)),\"rx\":\(stage.received),\"tx\":\(stage.transmitted),"
                + "\"emitted\":\(stage.emitted),\"held\":\(stage.held),\"punted\":\(stage.punted),\"drops\":\(drops(stage.drops)),"
                + "\"rules\":["
                + stage.ruleHits.map { "{\"name\":\(text($0.name)),\"packets\":\($0.packets),\"bytes\":\($0.bytes)}" }
                .joined(separator: ",") + "],\"flows\":["
                + stage.flows.map {
                    "{\"flow\":\(text($0.flowText(ports: portNumbers))),\"packets\":\($0.packets),\"bytes\":\($0.bytes)}"
                }.joined(separator: ",") + "]"
                + (stage.extras.colours.isEmpty
                    ? ""
                    : ",\"colours\":{"
                        + stage.extras.colours.map { "\(text($0.colour)):{\"packets\":\($0.packets),\"bytes\":\($0.bytes)}" }
                        .joined(separator: ",") + "}") + "}"
        }
        let fast = fastPath.map { fast in
            ",\"fastPath\":{\"hits\":\(fast.hits),\"misses\":\(fast.misses),\"learned\":\(fast.learned),"
                + "\"invalidated\":\(fast.invalidated),\"full\":\(fast.full),\"flushes\":\(fast.flushes),\"cached\":\(fast.cached)}"
        }
        return "{\"workers\":\(workerCount),\"handedOff\":\(handedOff),\"ports\":[\(ports.joined(separator: ","))],"
            + "\"stages\":[\(stages.joined(separator: ","))]\(fast ?? "")}"
    }
}
