import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline

/// One worker's queue of a TAP port, steering what it reads (`FlowSteering`): frames this
/// worker owns stay in the batch; a frame another worker owns is copied into that worker's
/// hand-off ring and its buffer freed here; ARP replies and neighbour advertisements are kept
/// and copied to every other worker. A full ring drops the frame, counted on the port as
/// `handoff_ring_full`. With one worker nothing is steered.
///
/// A frame keeps its offload (`PacketOffload`) across the ring. A GSO super-frame larger than a
/// ring slot is parsed and cut into segments here (`SoftwareOffload.segment`), each handed over
/// as a plain frame; one that cannot be cut is dropped as `segmentation_failed`.
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
    /// Endpoint steering for chains with a NAT or a load balancer.
    let rules: WorkerSteering
    /// Where the first fragments of datagrams went (shared by every worker of the chain).
    let fragments: FragmentOwners
    /// Where a super-frame too large for a ring slot is cut into segments.
    let segmentScratch = UnsafeMutableRawPointer.allocate(byteCount: 65_536, alignment: 64)

    var counters: PortCounters { queue.counters }
    var isExhausted: Bool { false }

    init(
        queue: TapPort, workerIndex: Int, outbound: [HandoffRing?], wakes: [WakeSignal], rules: WorkerSteering,
        fragments: FragmentOwners
    ) {
        self.rules = rules
        self.fragments = fragments
        self.queue = queue
        self.workerIndex = workerIndex
        self.outbound = outbound
        self.wakes = wakes
    }

    deinit { segmentScratch.deallocate() }

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
            switch FlowSteering.target(
                frame: batch.frame(index), metadata: entry, workerCount: workerCount, hasher: hasher, rules: rules,
                fragments: fragments)
            {
            case .local:
                break
            case .worker(let owner):
                if owner != workerIndex {
                    keep = false
                    hand(batch.frame(index), entry, to: owner)
                    woken |= 1 << UInt64(owner & 63)
                }
            case .everyWorker:
                for owner in 0..<workerCount where owner != workerIndex {
                    hand(batch.frame(index), entry, to: owner)
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
    func hand(_ frame: UnsafeMutableRawPointer, _ entry: PacketMetadata, to owner: Int) {
        let ring = outbound[owner]!
        if Int(entry.length) > ring.slotByteCount && entry.offload.isSuperFrame {
            handSegments(frame, entry, to: ring)
            return
        }
        let bytes = UnsafeRawBufferPointer(start: frame, count: Int(entry.length))
        if ring.push(bytes, inPort: entry.inPort, offload: entry.offload) {
            handedOff &+= 1
        } else {
            queue.counters.drops.increment(.handoffRingFull)
        }
    }

    /// Cuts a super-frame that no ring slot holds into plain segments and hands each over.
    func handSegments(_ frame: UnsafeMutableRawPointer, _ entry: PacketMetadata, to ring: HandoffRing) {
        var parsed = entry
        guard ParseStage.parse(frame, metadata: &parsed) == .none,
            SoftwareOffload.segment(
                frame, metadata: parsed, segmentSize: Int(parsed.offload.segmentSize), into: segmentScratch,
                scratchCapacity: 65_536,
                { segment in
                    if ring.push(segment, inPort: entry.inPort) {
                        handedOff &+= 1
                    } else {
                        queue.counters.drops.increment(.handoffRingFull)
                    }
                })
        else {
            queue.counters.drops.increment(.segmentationFailed)
            return
        }
    }
}
