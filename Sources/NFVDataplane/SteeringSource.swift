import NFVIO
import NFVPacket
import NFVPipeline

/// One worker's queue of a TAP port, steering what it reads (`FlowSteering`): frames this
/// worker owns stay in the batch; a frame another worker owns is copied into that worker's
/// hand-off ring and its buffer freed here; ARP replies and neighbour advertisements are kept
/// and copied to every other worker. A full ring drops the frame, counted on the port as
/// `handoff_ring_full`. With one worker nothing is steered.
final class SteeringSource: PacketSource {
    let queue: TapPort
    let workerIndex: Int
    /// The rings to every worker, by worker index (nil for this one).
    let outbound: [HandoffRing?]
    /// Every worker's wake-up, by worker index.
    let wakes: [WakeSignal]
    /// Frames handed to other workers.
    var handedOff: UInt64 = 0
    /// The steering hash, the same in every worker of the process.
    let hasher = TableHash.process

    var counters: PortCounters { queue.counters }
    var isExhausted: Bool { false }

    init(queue: TapPort, workerIndex: Int, outbound: [HandoffRing?], wakes: [WakeSignal]) {
        self.queue = queue
        self.workerIndex = workerIndex
        self.outbound = outbound
        self.wakes = wakes
    }

    func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        let before = batch.count
        let received = try queue.receive(into: batch, limit: limit)
        let workerCount = outbound.count
        guard received > 0, workerCount > 1 else { return received }
        let metadata = batch.metadata
        var kept = before
        var woken: UInt64 = 0  // bit per worker that was handed something
        for index in before..<batch.count {
            let entry = metadata[index]
            var keep = true
            switch FlowSteering.target(frame: batch.frame(index), metadata: entry, workerCount: workerCount, hasher: hasher) {
            case .local:
                break
            case .worker(let owner):
                if owner != workerIndex {
                    keep = false
                    hand(batch.bytes(index), inPort: entry.inPort, to: owner)
                    woken |= 1 << UInt64(owner & 63)
                }
            case .everyWorker:
                for owner in 0..<workerCount where owner != workerIndex {
                    hand(batch.bytes(index), inPort: entry.inPort, to: owner)
                    woken |= 1 << UInt64(owner & 63)
                }
            }
            if keep {
                metadata[kept] = entry
                kept += 1
            } else {
                batch.pool.release(entry.id)
            }
        }
        batch.count = kept
        for owner in 0..<workerCount where woken & (1 << UInt64(owner & 63)) != 0 { wakes[owner].wakeIfSleeping() }
        return kept - before
    }

    @inline(__always)
    func hand(_ frame: UnsafeRawBufferPointer, inPort: UInt16, to owner: Int) {
        if outbound[owner]!.push(frame, inPort: inPort) {
            handedOff &+= 1
        } else {
            queue.counters.drops.increment(.handoffRingFull)
        }
    }
}
