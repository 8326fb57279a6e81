import NFVPacket

/// Moves packets from sources through a chain into per-port sinks, batch by batch, until every
/// source is exhausted: the run-to-completion loop of a data plane, here over files and memory.
///
/// Each packet leaves on its `outPort`: `sinks[outPort]` takes it; a port without a sink (or a
/// port number beyond the list) counts the packet in `unsentCounters` and frees it. Packets
/// the stages generated (`Chain.emitted`) are merged with the forwarded ones in timestamp
/// order, so the order on a port never depends on how packets were split into batches.
public final class Pipeline {
    /// Where packets come from, polled in turn.
    public let sources: [any PacketSource]
    /// The stages they pass.
    public let chain: Chain
    /// The sink of each port, by port number; nil discards.
    public let sinks: [(any PacketSink)?]
    /// The batch reused for every round.
    public let batch: PacketBatch
    /// Packets whose out port has no sink.
    public let unsentCounters = PortCounters()
    let portBatches: [PacketBatch]

    /// Connects `sources` through `chain` to `sinks`, moving packets in `batch`.
    public init(sources: [any PacketSource], chain: Chain, sinks: [(any PacketSink)?], batch: PacketBatch) {
        self.sources = sources
        self.chain = chain
        self.sinks = sinks
        self.batch = batch
        // Room for a whole batch plus a whole emit batch on one port.
        self.portBatches = sinks.map { _ in PacketBatch(pool: batch.pool, capacity: 2 * batch.capacity) }
    }

    /// A pipeline with one source and one sink (port 1, the linear default's exit for port 0).
    public convenience init(source: any PacketSource, chain: Chain, sink: any PacketSink, batch: PacketBatch) {
        self.init(sources: [source], chain: chain, sinks: [sink, sink], batch: batch)
    }

    /// Runs until every source is exhausted, taking at most `nextBatchSize()` packets per batch
    /// (clamped to 1...capacity). Varying the sizes shows that results do not depend on where
    /// batches split. Returns how many batches ran.
    @discardableResult
    public func runUntilExhausted(nextBatchSize: () -> Int = { Int.max }) throws(PortError) -> Int {
        var batches = 0
        while true {
            let ran = try runRound(nextBatchSize: nextBatchSize)
            batches &+= ran
            if ran == 0 && sources.allSatisfy(\.isExhausted) { break }
        }
        return batches
    }

    /// The loop of a live data plane: rounds until `shouldStop()` says so; after a round that
    /// moved nothing, `idle()` runs (to sleep until a port is readable, for example).
    public func run(until shouldStop: () -> Bool, idle: () -> Void) throws(PortError) {
        while !shouldStop() {
            if try runRound() == 0 { idle() }
        }
    }

    /// One pass over the sources: each one that has packets fills the batch, which runs through
    /// the chain and out. Returns how many batches ran.
    @discardableResult
    public func runRound(nextBatchSize: () -> Int = { Int.max }) throws(PortError) -> Int {
        var batches = 0
        for source in sources {
            let limit = min(max(nextBatchSize(), 1), batch.capacity)
            let received = try source.receive(into: batch, limit: limit)
            if received == 0 && batch.count == 0 { continue }
            try chain.run(batch)
            if chain.emitted.count == 0 {
                try dispatch(batch)
            } else {
                try dispatchMerged(batch, chain.emitted)
            }
            batches &+= 1
        }
        return batches
    }

    /// Hands every packet of `outgoing` to the sink of its out port and empties it.
    func dispatch(_ outgoing: PacketBatch) throws(PortError) {
        let count = outgoing.count
        guard count > 0 else { return }
        let metadata = outgoing.metadata
        let first = Int(metadata[0].outPort)
        var uniform = true
        for index in 1..<max(count, 1) where Int(metadata[index].outPort) != first {
            uniform = false
            break
        }
        if uniform {
            if first < sinks.count, let sink = sinks[first] {
                try sink.transmit(outgoing)
            } else {
                discard(outgoing)
            }
            return
        }
        for index in 0..<count {
            let port = Int(metadata[index].outPort)
            if port < portBatches.count, sinks[port] != nil {
                _ = portBatches[port].append(metadata[index])
            } else {
                unsentCounters.transmittedPackets &+= 1
                unsentCounters.transmittedBytes &+= UInt64(metadata[index].length)
                outgoing.pool.release(metadata[index].id)
            }
        }
        outgoing.count = 0
        outgoing.resetVerdictCounts()
        for (port, portBatch) in portBatches.enumerated() where portBatch.count > 0 {
            try sinks[port]!.transmit(portBatch)
        }
    }

    /// Dispatches forwarded and generated packets together in timestamp order (forwarded first
    /// on equal times), so a port's output order does not depend on where batches split.
    func dispatchMerged(_ forwarded: PacketBatch, _ generated: PacketBatch) throws(PortError) {
        var left = 0
        var right = 0
        let forwardedMetadata = forwarded.metadata
        let generatedMetadata = generated.metadata
        while left < forwarded.count || right < generated.count {
            let takeLeft =
                right >= generated.count
                || (left < forwarded.count && forwardedMetadata[left].timestamp <= generatedMetadata[right].timestamp)
            let entry = takeLeft ? forwardedMetadata[left] : generatedMetadata[right]
            if takeLeft { left += 1 } else { right += 1 }
            let port = Int(entry.outPort)
            if port < portBatches.count, sinks[port] != nil {
                _ = portBatches[port].append(entry)
            } else {
                unsentCounters.transmittedPackets &+= 1
                unsentCounters.transmittedBytes &+= UInt64(entry.length)
                forwarded.pool.release(entry.id)
            }
        }
        forwarded.count = 0
        forwarded.resetVerdictCounts()
        generated.count = 0
        generated.resetVerdictCounts()
        for (port, portBatch) in portBatches.enumerated() where portBatch.count > 0 {
            try sinks[port]!.transmit(portBatch)
        }
    }

    func discard(_ outgoing: PacketBatch) {
        for index in 0..<outgoing.count {
            unsentCounters.transmittedPackets &+= 1
            unsentCounters.transmittedBytes &+= UInt64(outgoing.metadata[index].length)
        }
        outgoing.releaseAll()
    }
}
