import NFVPacket

/// An ordered list of stages run over batches.
///
/// `run(_:)` hands the batch to each stage in turn. After a stage that marked packets, the
/// runner compacts the survivors to the front of the batch, counts each dropped packet under
/// its reason and returns its buffer to the pool, and moves punted packets aside for the punt
/// sink. Dispatch is one call per stage per batch; nothing is allocated per batch.
///
/// Trace points record the packets at a point of the chain into a `PacketRecorder`: `rx`
/// (what entered the chain) or a stage's name (what that stage forwarded).
public final class Chain {
    /// The trace point that records what enters the chain.
    public static let receiveTracePoint = "rx"

    /// The stages, in order.
    public let stages: [any Stage]
    /// The stages (a path gate's inner stage included) with `IdleWork`, found once.
    let idleWork: [any IdleWork]
    /// Counters of each stage, same order as `stages`.
    public let counters: [StageCounters]
    /// Where punted packets go; when nil they are counted and released.
    public var puntSink: (any PacketSink)?
    /// Packets the stages generated during runs (replies, ICMP errors); the owner of the chain
    /// transmits them by their `outPort` and empties the batch.
    public let emitted: PacketBatch
    var stageRecorders: [(any PacketRecorder)?]
    var receiveRecorder: (any PacketRecorder)?
    let puntBatch: PacketBatch
    /// Per stage: the packets it resumed (see `Verdict.resumed`) on their way through the
    /// stages after it.
    let resumeBatches: [PacketBatch]

    /// How many leading stages run first in both directions (ingress work such as parsing);
    /// only the stages after them are reversed for traffic from other ports.
    public let ingressStageCount: Int
    /// The cache of established flows, when every stage after the ingress stages is a
    /// `FastPathStage` and at least two of them look packets up in tables of their own (nil
    /// otherwise, or when the chain was made without one).
    public let fastPath: FastPath?
    /// Trace points recording now: while any does, every packet takes the stages' path, so
    /// each trace point sees all of them.
    var activeTraceCount = 0
    /// The chain's only ingress stage when it is a plain parse stage: the fast path then parses
    /// and looks up each packet in one pass.
    let fusedParser: ParseStage?

    /// Creates a chain over `pool` (the pool of the batches it will run). With
    /// `fastPathCapacity` above zero and only `FastPathStage`s after the ingress stages, the
    /// chain caches up to that many established flows (`FastPath`).
    /// - Precondition: stage names are unique and none is `rx`.
    public init(
        stages: [any Stage], pool: PacketPool, batchCapacity: Int = PacketBatch.defaultCapacity,
        ingressStageCount: Int = 0, fastPathCapacity: Int = FlowCache.defaultCapacity
    ) {
        precondition((0...stages.count).contains(ingressStageCount), "ingressStageCount out of range")
        self.ingressStageCount = ingressStageCount
        let names = stages.map(\.name)
        precondition(Set(names).count == names.count, "stage names must be unique: \(names)")
        precondition(!names.contains(Chain.receiveTracePoint), "'rx' is reserved for the chain input")
        self.stages = stages
        self.idleWork = stages.compactMap { $0.unwrapped as? any IdleWork }
        self.counters = stages.map { _ in StageCounters() }
        self.stageRecorders = Array(repeating: nil, count: stages.count)
        self.puntBatch = PacketBatch(pool: pool, capacity: batchCapacity)
        self.emitted = PacketBatch(pool: pool, capacity: batchCapacity)
        self.resumeBatches = stages.map { _ in PacketBatch(pool: pool, capacity: batchCapacity) }
        let later = stages.indices.dropFirst(ingressStageCount)
        let fastStages = later.compactMap { stages[$0] as? any FastPathStage }.filter(\.isFastPathCapable)
        // One table lookup is cheaper than the cache's: a fast path pays from two on.
        if fastPathCapacity > 0, fastStages.count == later.count, later.count < 32,
            fastStages.count(where: \.savesLookups) >= 2
        {
            self.fastPath = FastPath(
                stages: fastStages, stageIndices: Array(later), pool: pool, batchCapacity: batchCapacity,
                capacity: fastPathCapacity)
        } else {
            self.fastPath = nil
        }
        if ingressStageCount == 1, let parser = stages[0] as? ParseStage, !parser.computesFlowHash {
            fusedParser = parser
        } else {
            fusedParser = nil
        }
    }

    /// The names trace points can use: `rx` and every stage name.
    public var tracePoints: [String] { [Chain.receiveTracePoint] + stages.map(\.name) }

    /// Records the packets at `point` (`rx` or a stage name) into `recorder`; nil stops it.
    /// Returns false when the chain has no such point.
    @discardableResult
    public func setTrace(at point: String, recorder: (any PacketRecorder)?) -> Bool {
        if point == Chain.receiveTracePoint {
            receiveRecorder = recorder
        } else {
            guard let index = stages.firstIndex(where: { $0.name == point }) else { return false }
            stageRecorders[index] = recorder
        }
        activeTraceCount = stageRecorders.count { $0 != nil } + (receiveRecorder == nil ? 0 : 1)
        return true
    }

    /// Runs every stage over `batch`. Afterwards the batch holds only the packets the stages
    /// forwarded, each with its `outPort` (the receive path set the linear default); dropped buffers are back in the pool, punted ones
    /// went to `puntSink`, and `emitted` holds the packets the stages generated.
    ///
    /// The batch must hold packets from one ingress port (the first packet's `inPort` decides
    /// the direction): the ingress stages run first, then port 0 runs the other stages in
    /// order and any other port in reverse order.
    public func run(_ batch: PacketBatch) throws(PortError) {
        let count = batch.count
        guard count > 0 else { return }
        let inPort = batch.metadata[0].inPort
        assert(
            (0..<count).allSatisfy { batch.metadata[$0].inPort == inPort },
            "a batch holds the packets of one ingress port: its direction through the chain is that port's")
        if let receiveRecorder { try receiveRecorder.record(batch) }
        if let fastPath, activeTraceCount == 0, fusedParser != nil {
            try runWithFastPath(batch, fastPath: fastPath, inPort: inPort, parsing: true)
            try sendPunted()
            return
        }
        var remaining = true
        for index in 0..<ingressStageCount where remaining {
            remaining = try runStage(index, batch)
        }
        if let fastPath, activeTraceCount == 0, remaining {
            try runWithFastPath(batch, fastPath: fastPath, inPort: inPort, parsing: false)
        } else {
            try runLaterStages(batch, inPort: inPort)
        }
        try sendPunted()
    }

    /// Hands the punted packets to `puntSink`, or releases them.
    func sendPunted() throws(PortError) {
        guard puntBatch.count > 0 else { return }
        if let puntSink {
            try puntSink.transmit(puntBatch)
        } else {
            puntBatch.releaseAll()
        }
    }

    /// Runs the stages after the ingress stages: in order for port 0, reversed for others.
    func runLaterStages(_ batch: PacketBatch, inPort: UInt16) throws(PortError) {
        var remaining = true
        if inPort == 0 {
            for index in ingressStageCount..<stages.count where remaining {
                remaining = try runStage(index, batch)
            }
        } else {
            for index in (ingressStageCount..<stages.count).reversed() where remaining {
                remaining = try runStage(index, batch)
            }
        }
    }

    /// The later stages with the fast path: cached flows first, the stages on the rest, then
    /// learning. Each stage counts the fast packets as received and forwarded; when no packet
    /// is left for the stages, each does its per-batch housekeeping.
    /// With `parsing`, the fused parse stage runs in the same pass (its counters count as if
    /// it had run alone).
    func runWithFastPath(_ batch: PacketBatch, fastPath: FastPath, inPort: UInt16, parsing: Bool) throws(PortError) {
        guard batch.count > 0 else { return }
        let now = batch.metadata[batch.count &- 1].timestamp
        let fastCount = fastPath.divert(batch, parseCounters: parsing ? counters[0] : nil)
        if fastCount > 0 {
            for index in fastPath.stageIndices {
                counters[index].received &+= UInt64(fastCount)
                counters[index].transmitted &+= UInt64(fastCount)
            }
        }
        if fastPath.slowBatch.count == 0 {
            for (slot, index) in fastPath.stageIndices.enumerated() {
                try sweep(index, stage: fastPath.stages[slot], now: now)
            }
        } else {
            try runLaterStages(fastPath.slowBatch, inPort: inPort)
        }
        fastPath.rejoin(batch)
    }

    /// A stage's housekeeping for a batch it did not see, with its generated packets handled
    /// as `runStage` handles them.
    func sweep(_ index: Int, stage: any FastPathStage, now: UInt64) throws(PortError) {
        let emittedBefore = emitted.count
        stage.sweepFastPath(now: now, emit: emitted)
        if emitted.count != emittedBefore {
            counters[index].emitted &+= UInt64(emitted.count &- emittedBefore)
            try resume(after: index, emittedFrom: emittedBefore)
        }
    }

    /// Runs stage `index`; false when no packet is left for the stages after it.
    @inline(__always)
    func runStage(_ index: Int, _ batch: PacketBatch) throws(PortError) -> Bool {
        let count = batch.count
        if count == 0 { return false }
        let stageCounters = counters[index]
        stageCounters.received &+= UInt64(count)
        let emittedBefore = emitted.count
        stages[index].process(batch, emit: emitted)
        if emitted.count != emittedBefore {
            stageCounters.emitted &+= UInt64(emitted.count &- emittedBefore)
            try resume(after: index, emittedFrom: emittedBefore)
        }
        if batch.notForwardedCount != 0 {
            compact(batch, counters: stageCounters)
        }
        stageCounters.transmitted &+= UInt64(batch.count)
        if let recorder = stageRecorders[index], batch.count > 0 { try recorder.record(batch) }
        return true
    }

    /// Runs the packets stage `index` just emitted as `resumed` (held earlier, let go now)
    /// through the stages after it, in the direction of their own in-port, one port at a time;
    /// what those stages forward joins `emitted` to leave the chain.
    func resume(after index: Int, emittedFrom start: Int) throws(PortError) {
        let resumed = resumeBatches[index]
        guard resumed.count == 0 else { return }  // already resuming this stage's packets further up
        while true {
            // This stage's resumed packets of one in-port move from `emitted` to `resumed`.
            var kept = start
            var port: UInt16?
            let metadata = emitted.metadata
            for position in start..<emitted.count {
                var entry = metadata[position]
                if entry.verdict == .resumed && (port == nil || port == entry.inPort) {
                    port = entry.inPort
                    entry.verdict = .forward
                    _ = resumed.append(entry)  // same capacity as `emitted`: it fits
                } else {
                    metadata[kept] = entry
                    kept &+= 1
                }
            }
            emitted.count = kept
            guard let port else { return }
            if port == 0 {
                for later in (index &+ 1)..<stages.count where resumed.count > 0 { _ = try runStage(later, resumed) }
            } else if index > ingressStageCount {
                for later in (ingressStageCount..<index).reversed() where resumed.count > 0 { _ = try runStage(later, resumed) }
            }
            for position in 0..<resumed.count where !emitted.append(resumed.metadata[position]) {
                counters[index].drops.increment(.poolExhausted)
                resumed.pool.release(resumed.metadata[position].id)
            }
            resumed.count = 0
        }
    }

    /// Moves forwarded packets to the front, releases dropped ones and sets punted ones aside.
    ///
    /// Drops are usually sparse, so survivors are moved a run at a time (one memmove per run
    /// between two non-forwarded packets), starting at the first non-forwarded packet.
    func compact(_ batch: PacketBatch, counters stageCounters: StageCounters) {
        let metadata = batch.metadata
        let pool = batch.pool
        let count = batch.count
        var kept = batch.firstNotForwardedIndex  // everything before it stays where it is
        var index = kept
        while index < count {
            switch metadata[index].verdict {
            case .forward:
                var end = index &+ 1
                while end < count, metadata[end].verdict == .forward { end &+= 1 }
                if kept != index {
                    UnsafeMutableRawPointer(metadata + kept).copyMemory(
                        from: metadata + index, byteCount: (end &- index) &* MemoryLayout<PacketMetadata>.stride)
                }
                kept &+= end &- index
                index = end
                continue
            case .drop:
                stageCounters.drops.increment(metadata[index].dropReason)
                pool.release(metadata[index].id)
            case .held:
                stageCounters.held &+= 1
            case .resumed:  // only meaningful on emitted packets; in a batch it means forward
                metadata[kept] = metadata[index]
                metadata[kept].verdict = .forward
                kept &+= 1
            case .punt:
                stageCounters.punted &+= 1
                var entry = metadata[index]
                entry.verdict = .forward
                if !puntBatch.append(entry) {
                    stageCounters.drops.increment(.poolExhausted)
                    pool.release(entry.id)
                }
            }
            index &+= 1
        }
        batch.count = kept
        batch.resetVerdictCounts()
    }

    /// Sets every stage counter to zero.
    public func resetCounters() {
        for stageCounters in counters { stageCounters.reset() }
        fastPath?.counters.reset()
    }
}
