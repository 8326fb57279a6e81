import CLinux
import NFVCatalog
import NFVPacket
import NFVPipeline
import NFVQoS
import NFVSwitch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension LiveChain {
    /// Packet buffers per worker: eight batches.
    static var poolSlotCount: Int { 8 * PacketBatch.defaultCapacity }
    /// Frames a hand-off ring between two workers holds.
    static var handoffRingCapacity: Int { 1024 }

    /// The largest frame a port of `loaded` takes (its MTU, Ethernet and VLAN headers).
    static func frameByteCount(_ loaded: LoadedChain) -> Int {
        loaded.descriptor.ports.map { ($0.tap?.mtu ?? 1500) + 22 }.max() ?? 1522
    }

    /// A packet buffer's size: 64 KiB GSO super-frames when a TAP takes offloads, else 10 KiB.
    static func poolSlotByteCount(_ loaded: LoadedChain) -> Int {
        loaded.descriptor.ports.contains { $0.tap?.offloads == true } ? PacketPool.superFrameSlotByteCount : 10_240
    }

    func makeWorkers(queueCount: Int) throws(LiveChainError) {
        let frameByteCount = Self.frameByteCount(loaded)
        var wakes: [WakeSignal] = []
        for _ in 0..<queueCount { wakes.append(try WakeSignal()) }
        // rings[from][to]: worker `from` hands frames to worker `to`.
        let rings: [[HandoffRing?]] = (0..<queueCount).map { from in
            (0..<queueCount).map { to in from == to ? nil : HandoffRing(capacity: Self.handoffRingCapacity, slotByteCount: frameByteCount) }
        }
        let names = loaded.descriptor.ports.map(\.name)
        let rules = WorkerSteering(chain: loaded)
        let fragments = FragmentOwners()
        let slotByteCount = Self.poolSlotByteCount(loaded)
        // One token bucket per shaped port, shared by the workers.
        let now = PortShaper.now()
        let shaperBuckets = loaded.descriptor.ports.map { port in port.tap?.shaper.map { ShaperBucket(configuration: $0, now: now) } }
        // An OpenFlow switch: punted packets go to the agent, worker 0 takes its PACKET_OUTs.
        let switchStageName = switchStageConfiguration.flatMap { $0.configuration.openflow == nil ? nil : $0.stage }
        controller = switchStageName == nil ? nil : ControllerChannel()
        for index in 0..<queueCount {
            let pool = PacketPool(slotCount: Self.poolSlotCount, slotByteCount: slotByteCount)
            let chain = ChainAssembly.makeChain(loaded, pool: pool, worker: WorkerShare(index: index, count: queueCount))
            var extraSources: [any PacketSource] = []
            let firstSwitch = switchStageConfiguration?.stage
            if let stage = chain.stages.lazy.compactMap({ $0.unwrapped as? SwitchStage }).first(where: { $0.name == firstSwitch }) {
                let inbox = expiredFlows
                let channel = controller
                stage.onExpiry = { flows in
                    inbox.add(flows)
                    channel?.notify.withLock { $0 }()
                }
            }
            if let controller, let stage = chain.stages.lazy.compactMap({ $0.unwrapped as? SwitchStage }).first(where: { $0.name == switchStageName })
            {
                stage.recordsPunts = true
                chain.puntSink = ControllerPuntSink(channel: controller, stage: stage)
                if index == 0 { extraSources.append(PacketOutSource(channel: controller, stage: stage)) }
            }
            workers.append(
                Worker(
                    index: index, pool: pool, chain: chain, queues: queues.map { $0[index] }, portNames: names, outbound: rings[index],
                    inbound: rings.compactMap { $0[index] }, wakes: wakes, rules: rules, fragments: fragments, extraSources: extraSources,
                    shaperBuckets: shaperBuckets))
        }
    }

    /// Starts one thread per worker; `cpus` pins worker i to `cpus[i % cpus.count]` (empty:
    /// the scheduler decides).
    public func start(cpus: [Int] = []) throws(LiveChainError) {
        guard !isRunning.load(ordering: .acquiring) else { return }
        stopping.store(false, ordering: .releasing)
        isRunning.store(true, ordering: .releasing)
        for (index, worker) in workers.enumerated() {
            let cpu = cpus.isEmpty ? nil : cpus[index % cpus.count]
            guard let thread = PlatformThread.start({ [self] in worker.run(stopping: stopping, generation: generation, cpu: cpu) }) else {
                stop()
                throw LiveChainError("worker \(index): the system refused a thread")
            }
            worker.thread = thread
        }
        startHealthChecks()
    }

    /// Starts the health checks of every load-balancer stage that has some. Probes run in the
    /// network namespace of the port the backends are on (`backends:`), where the backends
    /// are reachable, not in the data plane's own.
    func startHealthChecks() {
        let setup = { (portName: String) -> (@Sendable () -> Void)? in
            guard let port = self.loaded.descriptor.ports.first(where: { $0.name == portName }),
                let name = port.tap?.namespace, let namespace = self.namespaces[name]
            else { return nil }
            let descriptor = namespace.fileDescriptor
            return { _ = nfv_enter_network_namespace(descriptor) }
        }
        for worker in workers {
            for stage in worker.chain.stages.map(\.unwrapped) {
                if let monitor = loaded.configurations[stage.name]?.startMonitor(for: stage, threadSetup: setup) {
                    monitors.append(monitor)
                }
            }
        }
    }

    /// Stops the workers after their current round and waits for them.
    public func stop() {
        guard isRunning.load(ordering: .acquiring) else { return }
        for monitor in monitors { monitor.stop() }
        monitors.removeAll()
        stopping.store(true, ordering: .releasing)
        for worker in workers {
            worker.wake.wakeIfSleeping()
            worker.thread?.join()
            worker.thread = nil
        }
        isRunning.store(false, ordering: .releasing)
    }

    /// Runs the workers until `shouldStop()` (asked every 20 ms on the calling thread), then
    /// stops them.
    public func run(until shouldStop: () -> Bool, cpus: [Int] = []) throws(LiveChainError) {
        try start(cpus: cpus)
        while !shouldStop() { usleep(20_000) }
        stop()
    }

    /// The chain's counters summed over the workers (and, after a migration, from where the
    /// previous data plane left them). While they run, each worker answers
    /// between two rounds (within 2 s, or its last answer is used); once stopped, they are
    /// read directly.
    public func counters() -> CounterSnapshot {
        let parts = workerCounters()
        guard var sum = parts.first else { return CounterSnapshot() }
        for part in parts.dropFirst() { sum = sum.adding(part) }
        return counterBaseline.map { sum.adding($0) } ?? sum
    }

    /// Each worker's own counters, by worker index (as `counters()` collects them).
    public func workerCounters() -> [CounterSnapshot] {
        if synchronize() {
            return workers.compactMap { worker in worker.snapshot.withLock { $0 } }
        }
        for worker in workers { worker.chain.idle(now: Worker.now()) }
        return workers.map { $0.makeSnapshot() }
    }

    /// Runs `body` on each worker's own thread (between two of its rounds) over its copy of
    /// the chain, and returns what each found, by worker index: how the control side reads
    /// per-worker tables (tracked connections, NAT mappings) without locking the data path.
    public func inspect<T: Sendable>(_ body: @escaping @Sendable (Chain, _ worker: Int) -> [T]) -> [T] {
        let results = InspectionResults<T>()
        if isRunning.load(ordering: .acquiring) {
            for worker in workers {
                let index = worker.index
                worker.inspection.withLock { $0 = { chain in results.store(body(chain, index), worker: index) } }
            }
            synchronize()
        } else {
            for worker in workers { results.store(body(worker.chain, worker.index), worker: worker.index) }
        }
        return results.all
    }

    /// Wakes every running worker and waits (at most 2 s) until each has taken what the control
    /// side posted and published its counters. False when the workers do not run.
    @discardableResult
    func synchronize() -> Bool {
        guard isRunning.load(ordering: .acquiring) else { return false }
        let wanted = generation.add(1, ordering: .sequentiallyConsistent).newValue
        for worker in workers { worker.wake.wakeIfSleeping() }
        var waited = 0
        while waited < 20_000, workers.contains(where: { $0.answeredGeneration.load(ordering: .acquiring) < wanted }) {
            usleep(100)
            waited += 1
        }
        return true
    }
}

/// What `LiveChain.inspect` collects from the workers' threads.
final class InspectionResults<T: Sendable>: Sendable {
    let byWorker = Mutex<[Int: [T]]>([:])

    func store(_ rows: [T], worker: Int) { byWorker.withLock { $0[worker] = rows } }

    /// Every worker's rows, in worker order.
    var all: [T] { byWorker.withLock { $0.sorted { $0.key < $1.key }.flatMap(\.value) } }
}
