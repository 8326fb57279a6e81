import CLinux
import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline
import NFVQoS
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One data-plane worker: run to completion on its own thread (rx burst from its queue of each
/// port and from its hand-off rings -> its copy of the chain -> tx burst on its queues).
///
/// A worker owns its packet pool, its chain (so every stateful stage's state is per worker) and
/// its queue fds; nothing of it is touched by another thread while it runs, except the
/// hand-off rings (single producer, single consumer) and the atomics below. Counters are read
/// by asking: `LiveChain.counters()` raises the snapshot generation and the worker answers
/// between two rounds.
final class Worker: @unchecked Sendable {
    let index: Int
    let pool: PacketPool
    let chain: Chain
    /// This worker's queue of each chain port, by port number.
    let queues: [TapPort]
    let steering: [SteeringSource]
    let inbound: [HandoffSource]
    let wake: WakeSignal
    let pipeline: Pipeline
    let portNames: [String]
    /// The egress shapers of the ports that have one (in front of their queues).
    let shapers: [PortShaper]
    /// Where the chain's output goes, by port number (a port's shaper, else its queue).
    let sinks: [any PacketSink]
    /// The last snapshot generation answered, and the answer.
    let answeredGeneration = Atomic<Int>(0)
    let snapshot = Mutex<CounterSnapshot?>(nil)
    /// Work the control side asks this worker to do on its own thread (reading its tables),
    /// done with the next counter answer.
    let inspection = Mutex<(@Sendable (Chain) -> Void)?>(nil)
    /// Changes to this worker's queues (a container attached or detached) the control side
    /// posts, done on the worker's own thread with the next counter answer.
    let queueChanges = Mutex<[@Sendable () -> Void]>([])
    /// Set on the worker's thread when a queue changed its fd: the poll set is built anew.
    var pollSetIsStale = false
    var thread: PlatformThread?

    init(
        index: Int, pool: PacketPool, chain: Chain, queues: [TapPort], portNames: [String],
        outbound: [HandoffRing?], inbound: [HandoffRing], wakes: [WakeSignal], rules: WorkerSteering,
        fragments: FragmentOwners, extraSources: [any PacketSource] = [], shaperBuckets: [ShaperBucket?] = []
    ) {
        self.index = index
        self.pool = pool
        self.chain = chain
        self.queues = queues
        self.portNames = portNames
        steering = queues.map { SteeringSource(queue: $0, workerIndex: index, outbound: outbound, wakes: wakes, rules: rules, fragments: fragments) }
        self.inbound = inbound.map(HandoffSource.init)
        wake = wakes[index]
        let shaped: [(any PacketSink)?] = queues.enumerated().map { port, queue in
            guard port < shaperBuckets.count, let bucket = shaperBuckets[port] else { return queue }
            return PortShaper(inner: queue, bucket: bucket)
        }
        shapers = shaped.compactMap { $0 as? PortShaper }
        sinks = shaped.compactMap { $0 }
        pipeline = Pipeline(sources: steering + self.inbound + extraSources, chain: chain, sinks: shaped, batch: PacketBatch(pool: pool))
    }

    /// The loop: rounds until `stopping` (after each, the port shapers send what their tokens
    /// allow); when a round moved nothing, lets the stages do their idle work (posted edits,
    /// timeouts) and sleeps in poll on the queues and the wake-up eventfd (at most 50 ms, so
    /// stop and counter requests are seen; less when a shaper's queued packets fall due).
    func run(stopping: borrowing Atomic<Bool>, generation: borrowing Atomic<Int>, cpu: Int?) {
        nfv_name_current_thread("nfv-worker-\(index)")
        if let cpu { _ = nfv_pin_current_thread(Int32(cpu)) }
        // A detached container port's fd is -1, which poll skips.
        func pollSet() -> [pollfd] {
            queues.map { pollfd(fd: $0.fileDescriptor, events: Int16(POLLIN), revents: 0) }
                + [pollfd(fd: wake.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        }
        var pollers = pollSet()
        pollSetIsStale = false
        while !stopping.load(ordering: .relaxed) {
            answerSnapshot(generation.load(ordering: .acquiring))
            let moved: Int
            do { moved = try pipeline.runRound() } catch { moved = 0 }
            for shaper in shapers where shaper.queuedCount > 0 { try? shaper.drain() }
            guard moved == 0 else { continue }
            chain.idle(now: Self.now())
            wake.prepareToSleep()
            // A ring filled, or a counter request (or posted edit) came, since the round:
            // a producer or the control side that saw no sleeper did not signal.
            if inbound.contains(where: { $0.ring.waitingCount > 0 })
                || generation.load(ordering: .sequentiallyConsistent) != answeredGeneration.load(ordering: .relaxed)
            {
                wake.awake()
                continue
            }
            // A shaper's waiting packets are due when its bucket has tokens again.
            let timeout = shapers.compactMap { $0.millisecondsUntilDue() }.min().map { min($0, 50) } ?? 50
            if pollSetIsStale {
                pollers = pollSet()
                pollSetIsStale = false
            }
            pollers.withUnsafeMutableBufferPointer { buffer in
                _ = poll(buffer.baseAddress, nfds_t(buffer.count), timeout)
            }
            wake.awake()
        }
        answerSnapshot(generation.load(ordering: .acquiring))
    }

    /// After the worker stopped (its thread joined): processes what other workers handed it and
    /// sends what waits in its shapers, so that no frame it read is left in flight.
    func finishInFlight() {
        let handoffs = Pipeline(sources: inbound, chain: chain, sinks: sinks, batch: PacketBatch(pool: pool))
        while inbound.contains(where: { $0.ring.waitingCount > 0 }) {
            _ = try? handoffs.runRound()
        }
        for shaper in shapers { try? shaper.drainAll() }
    }

    /// Publishes this worker's counters if a newer generation was asked for, after taking
    /// what the control side posted (so an answered generation means the edit is in force).
    @inline(__always)
    func answerSnapshot(_ wanted: Int) {
        guard wanted != answeredGeneration.load(ordering: .relaxed) else { return }
        chain.idle(now: Self.now())
        if let work = inspection.withLock({ work in
            defer { work = nil }
            return work
        }) {
            work(chain)
        }
        let changes = queueChanges.withLock { changes in
            defer { changes = [] }
            return changes
        }
        if !changes.isEmpty {
            for change in changes { change() }
            pollSetIsStale = true
        }
        let current = makeSnapshot()
        snapshot.withLock { $0 = current }
        answeredGeneration.store(wanted, ordering: .releasing)
    }

    /// The clock TAP ports stamp packets with (ns since the epoch).
    static func now() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    /// The counters now (only the worker's thread, or anyone once it stopped).
    func makeSnapshot() -> CounterSnapshot {
        CounterSnapshot(
            portNames: portNames, queues: queues, chain: chain,
            handedOff: steering.reduce(0) { $0 &+ $1.handedOff })
    }
}
