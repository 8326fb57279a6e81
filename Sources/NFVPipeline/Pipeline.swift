import NFVPacket

/// Moves packets from a source through a chain into a sink, batch by batch, until the source
/// is exhausted: the run-to-completion loop of a data plane, here over files and memory.
public final class Pipeline {
    /// Where packets come from.
    public let source: any PacketSource
    /// The stages they pass.
    public let chain: Chain
    /// Where the survivors go.
    public let sink: any PacketSink
    /// The batch reused for every round.
    public let batch: PacketBatch

    /// Connects `source` through `chain` to `sink`, moving packets in `batch`.
    public init(source: any PacketSource, chain: Chain, sink: any PacketSink, batch: PacketBatch) {
        self.source = source
        self.chain = chain
        self.sink = sink
        self.batch = batch
    }

    /// Runs until the source is exhausted, taking at most `nextBatchSize()` packets per batch
    /// (clamped to 1...capacity). Varying the sizes shows that results do not depend on where
    /// batches split. Returns how many batches ran.
    @discardableResult
    public func runUntilExhausted(nextBatchSize: () -> Int = { Int.max }) throws(PortError) -> Int {
        var batches = 0
        while true {
            let limit = min(max(nextBatchSize(), 1), batch.capacity)
            let received = try source.receive(into: batch, limit: limit)
            if received == 0 && batch.count == 0 {
                if source.isExhausted { break }
                continue
            }
            try chain.run(batch)
            try sink.transmit(batch)
            batches &+= 1
        }
        return batches
    }
}
