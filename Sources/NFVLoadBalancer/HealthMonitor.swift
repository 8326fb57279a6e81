import NFVPacket
import NFVPipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the health checks of a load balancer's services from the control side: one thread per
/// checked backend probes it every interval (TCP connect or ICMP echo, with the configured
/// timeout), applies the rise/fall rule, and on a change tells the stage, which swaps in a new
/// Maglev table; the data path is never blocked by a probe.
///
/// `stop()` (also run on deinit) ends and joins every thread within about 20 ms plus the
/// longest probe still in flight.
public final class HealthMonitor: Sendable {
    /// A change of health: service, backend, and whether it is now up.
    public struct Change: Sendable, Equatable {
        public var service: String
        public var backend: String
        public var healthy: Bool
        public init(service: String, backend: String, healthy: Bool) {
            self.service = service
            self.backend = backend
            self.healthy = healthy
        }
    }

    /// What the monitor and its threads share (the threads hold it, not the monitor, so the
    /// monitor's deinit can stop and join them).
    final class Shared: Sendable {
        let stage: LoadBalancerStage
        let stopping = Atomic<Bool>(false)
        let changes = Mutex<[Change]>([])
        let probeCount = Atomic<Int>(0)
        init(stage: LoadBalancerStage) { self.stage = stage }
    }

    let shared: Shared
    let threads = Mutex<[PlatformThread]>([])

    /// Starts checking every backend of every service of `stage` that has a `healthCheck`.
    /// `threadSetup` runs first on each probe thread (a live chain moves the thread into the
    /// network namespace its backends are reached from).
    /// `configuration` (default: the stage's own) names the services and backends to check: a
    /// live update passes the new one.
    public init(
        stage: LoadBalancerStage, configuration: LoadBalancerConfiguration? = nil,
        threadSetup: (@Sendable () -> Void)? = nil
    ) {
        shared = Shared(stage: stage)
        var sequence: UInt16 = 0
        for service in (configuration ?? stage.configuration).services {
            guard let check = service.healthCheck else { continue }
            for backend in service.backends {
                sequence &+= 1
                let job = ProbeJob(
                    shared: shared, service: service.name, backend: backend, check: check,
                    identifier: UInt16(truncatingIfNeeded: getpid()) &+ sequence, setup: threadSetup)
                start(job)
            }
        }
    }

    deinit { stop() }

    /// Health changes so far, oldest first.
    public var history: [Change] { shared.changes.withLock { $0 } }

    /// Probes run so far.
    public var probesRun: Int { shared.probeCount.load(ordering: .relaxed) }

    /// Stops probing and joins the probe threads.
    public func stop() {
        shared.stopping.store(true, ordering: .releasing)
        let running = threads.withLock { list in
            let all = list
            list = []
            return all
        }
        for thread in running { thread.join() }
    }

    /// What one probe thread checks.
    final class ProbeJob: Sendable {
        let monitor: Shared
        let service: String
        let backend: LoadBalancerConfiguration.Backend
        let check: LoadBalancerConfiguration.HealthCheck
        let identifier: UInt16
        let setup: (@Sendable () -> Void)?
        init(
            shared: Shared, service: String, backend: LoadBalancerConfiguration.Backend,
            check: LoadBalancerConfiguration.HealthCheck, identifier: UInt16, setup: (@Sendable () -> Void)?
        ) {
            self.setup = setup
            monitor = shared
            self.service = service
            self.backend = backend
            self.check = check
            self.identifier = identifier
        }

        func run() {
            setup?()
            var tracker = HealthTracker(rise: check.rise, fall: check.fall)
            var sequence: UInt16 = 0
            while !monitor.stopping.load(ordering: .acquiring) {
                let started = HealthProbe.monotonicMilliseconds()
                sequence &+= 1
                let success: Bool
                switch check.kind {
                case .tcp:
                    success = HealthProbe.tcpConnect(
                        address: backend.address, port: backend.port,
                        timeoutMilliseconds: check.timeoutMilliseconds)
                case .icmp:
                    success = HealthProbe.icmpEcho(
                        address: backend.address, timeoutMilliseconds: check.timeoutMilliseconds,
                        identifier: identifier, sequence: sequence)
                }
                monitor.probeCount.add(1, ordering: .relaxed)
                if let healthy = tracker.record(success: success) {
                    monitor.stage.setHealth(healthy, service: service, backend: backend.name)
                    monitor.changes.withLock { $0.append(Change(service: service, backend: backend.name, healthy: healthy)) }
                }
                // Sleep out the interval in short steps so stop() is prompt.
                let next = started + check.intervalMilliseconds
                while !monitor.stopping.load(ordering: .acquiring) {
                    let remaining = next - HealthProbe.monotonicMilliseconds()
                    guard remaining > 0 else { break }
                    usleep(UInt32(min(remaining, 20)) * 1000)
                }
            }
        }
    }

    func start(_ job: ProbeJob) {
        guard let thread = PlatformThread.start({ job.run() }) else { return }
        threads.withLock { $0.append(thread) }
    }
}
