import NFVDescriptors
import NFVFirewall
import NFVRouter
import NFVSwitch
import CLinux
import NFVIO
import NFVLoadBalancer
import NFVNAT
import NFVNetlink
import NFVPacket
import NFVPipeline
import NFVReplay
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A chain running live on TAP ports: `init` plumbs what the descriptor asks for (namespaces,
/// TAP devices, their kernel side's MTU, address, link state and default route), `run` moves
/// packets until told to stop, `tearDown` removes everything it created, in reverse order.
///
/// TAPs are created non-persistent, so even a SIGKILL leaves no device behind (the kernel drops
/// them with the process's fds). A namespace the data plane creates is marked in
/// `/run/nfv-dataplane/netns-NAME`; one left by a killed run still carries the mark, so the next
/// run adopts it as its own and removes it on exit. A namespace someone else made (no mark) is
/// used and left alone.
public final class LiveChain: @unchecked Sendable {
    /// The chain as loaded (replaced by `reload`).
    public private(set) var loaded: LoadedChain
    /// Workers (one per TAP queue; every port of a chain has the same number of queues).
    var workers: [Worker] = []
    /// Each chain port's queues, by port number then queue.
    var queues: [[TapPort]] = []
    public private(set) var namespaces: [String: NetworkNamespace] = [:]
    /// Namespaces this run removes on tear-down (created by it, or left by a killed run).
    var ownedNamespaces: Set<String> = []
    /// Where the marks of namespaces the data plane created live.
    public static let markDirectory = "/run/nfv-dataplane"
    /// Each switch stage's flows as the control side last set them (add-flow / del-flows edit
    /// these and hand them to every worker's stage).
    var switchFlows: [String: [FlowEntry]] = [:]
    /// Lines describing what was plumbed, for the operator.
    public private(set) var log: [String] = []
    let stopping = Atomic<Bool>(false)
    let generation = Atomic<Int>(0)
    let isRunning = Atomic<Bool>(false)
    /// Health checkers of load-balancer stages, running while the workers do.
    var monitors: [HealthMonitor] = []

    /// How many workers run the chain (the ports' `queues:`).
    public var workerCount: Int { workers.count }

    /// The first queue of each port, by port number.
    public var ports: [TapPort] { queues.compactMap(\.first) }

    /// Plumbs the chain's ports and prepares one worker per queue. On any failure, what was
    /// already made is removed again and the error says which port and step failed.
    public init(loaded: LoadedChain) throws(LiveChainError) {
        self.loaded = loaded
        do {
            let queueCount = try Self.queueCount(loaded)
            try plumb(queueCount: queueCount)
            try makeWorkers(queueCount: queueCount)
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    /// The chain's queue (worker) count: every TAP port has the same `queues:`. Stages whose
    /// state a symmetric flow hash cannot partition (NAT and the load balancer rewrite the
    /// tuple, so a reply hashes elsewhere) need one queue.
    static func queueCount(_ loaded: LoadedChain) throws(LiveChainError) -> Int {
        let ports = loaded.descriptor.ports
        // spec.workers sets the queues of every port; a port's own queues: must then agree.
        let count = loaded.descriptor.workers ?? ports.first?.tap?.queues ?? 1
        for port in ports {
            let queues = port.tap?.queues ?? 1
            guard queues != count, !(loaded.descriptor.workers != nil && queues == 1) else { continue }
            throw LiveChainError("\(port.location): port \(port.name): queues: \(queues) differs from "
                                 + (loaded.descriptor.workers != nil ? "spec.workers: \(count)" : "port \(ports[0].name)'s \(count)")
                                 + "; every port of a chain has the same number of queues (one worker per queue)")
        }
        if count > 1, let stage = loaded.descriptor.stages.first(where: { $0.vnf == "nat" || $0.vnf == "load-balancer" }) {
            throw LiveChainError("\(stage.location): stage \(stage.name) (\(stage.vnf)) needs queues: 1: it rewrites addresses, "
                                 + "so a reply's flow hash no longer names the worker holding its state; set queues: 1 on the ports")
        }
        return count
    }

    func makeWorkers(queueCount: Int) throws(LiveChainError) {
        let frameByteCount = loaded.descriptor.ports.map { ($0.tap?.mtu ?? 1500) + 22 }.max() ?? 1522
        var wakes: [WakeSignal] = []
        for _ in 0..<queueCount { wakes.append(try WakeSignal()) }
        // rings[from][to]: worker `from` hands frames to worker `to`.
        let rings: [[HandoffRing?]] = (0..<queueCount).map { from in
            (0..<queueCount).map { to in from == to ? nil : HandoffRing(capacity: 1024, slotByteCount: frameByteCount) }
        }
        let names = loaded.descriptor.ports.map(\.name)
        for index in 0..<queueCount {
            let pool = PacketPool(slotCount: 8 * PacketBatch.defaultCapacity, slotByteCount: 10_240)
            workers.append(Worker(index: index, pool: pool, chain: ChainFactory.makeChain(loaded, pool: pool),
                                  queues: queues.map { $0[index] }, portNames: names, outbound: rings[index],
                                  inbound: rings.compactMap { $0[index] }, wakes: wakes))
        }
    }

    func plumb(queueCount: Int) throws(LiveChainError) {
        let host: NetlinkSocket
        do { host = try NetlinkSocket() } catch { throw LiveChainError("netlink: \(error)") }
        for (index, port) in loaded.descriptor.ports.enumerated() {
            guard port.kind == .tap, let tap = port.tap else {
                throw LiveChainError("\(port.location): port \(port.name) is a \(port.kind.rawValue) port; a live chain runs TAP ports "
                                     + "(replay a chain with capture ports with nfv-orch replay)")
            }
            let step = "\(port.location): port \(port.name) (\(tap.interfaceName))"
            do {
                var portQueues: [TapPort] = []
                for _ in 0..<queueCount {
                    portQueues.append(try TapPort(name: tap.interfaceName, portNumber: UInt16(index), mtu: tap.mtu,
                                                  multiQueue: queueCount > 1))
                }
                queues.append(portQueues)
                try host.setLink(tap.interfaceName, mtu: UInt32(tap.mtu))
                var configure = host
                if let name = tap.namespace {
                    let namespace = try namespaces[name] ?? NetworkNamespace(name: name)
                    if namespaces[name] == nil {
                        namespaces[name] = namespace
                        let mark = "\(Self.markDirectory)/netns-\(name)"
                        if namespace.created {
                            mkdir(Self.markDirectory, 0o755)
                            let descriptor = creat(mark, 0o644)
                            if descriptor >= 0 { close(descriptor) }
                            ownedNamespaces.insert(name)
                            log.append("namespace \(name) created")
                        } else if access(mark, F_OK) == 0 {
                            ownedNamespaces.insert(name)
                            log.append("namespace \(name) left by an earlier run that did not finish: taken over")
                        } else {
                            log.append("namespace \(name) already there (not ours): used, and left in place")
                        }
                    }
                    try host.moveLink(tap.interfaceName, toNamespaceFD: namespace.fileDescriptor)
                    configure = try namespace.netlink()
                    try configure.setLink("lo", up: true)
                }
                if let address = tap.address { try configure.address(address, on: tap.interfaceName) }
                try configure.setLink(tap.interfaceName, up: true)
                if let gateway = tap.gateway {
                    try configure.route(to: gateway.contains(":") ? "::/0" : "0.0.0.0/0", via: gateway, link: tap.interfaceName)
                }
                log.append("port \(port.name): TAP \(tap.interfaceName)"
                           + (tap.namespace.map { " in namespace \($0)" } ?? "")
                           + (tap.address.map { ", \($0)" } ?? "") + (tap.gateway.map { " via \($0)" } ?? "")
                           + ", MTU \(tap.mtu)" + (queueCount > 1 ? ", \(queueCount) queues" : ""))
            } catch {
                throw LiveChainError("\(step): \(error)")
            }
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
        for worker in workers {
            for case let stage as LoadBalancerStage in worker.chain.stages.map(\.unwrapped)
            where (loaded.loadBalancers[stage.name] ?? stage.configuration).services.contains(where: { $0.healthCheck != nil }) {
                var setup: (@Sendable () -> Void)?
                if let port = loaded.descriptor.ports.first(where: { $0.name == stage.configuration.backendPort }),
                   let name = port.tap?.namespace, let namespace = namespaces[name] {
                    let descriptor = namespace.fileDescriptor
                    setup = { _ = nfv_enter_network_namespace(descriptor) }
                }
                monitors.append(HealthMonitor(stage: stage, configuration: loaded.loadBalancers[stage.name], threadSetup: setup))
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

    /// The chain's counters summed over the workers. While they run, each worker answers
    /// between two rounds (within 2 s, or its last answer is used); once stopped, they are
    /// read directly.
    public func counters() -> CounterSnapshot {
        let parts = workerCounters()
        guard var sum = parts.first else { return CounterSnapshot() }
        for part in parts.dropFirst() { sum = sum.adding(part) }
        return sum
    }

    /// Each worker's own counters, by worker index (as `counters()` collects them).
    public func workerCounters() -> [CounterSnapshot] {
        var parts: [CounterSnapshot] = []
        if isRunning.load(ordering: .acquiring) {
            let wanted = generation.add(1, ordering: .acquiringAndReleasing).newValue
            for worker in workers { worker.wake.wakeIfSleeping() }
            var waited = 0
            while waited < 2000, workers.contains(where: { $0.answeredGeneration.load(ordering: .acquiring) < wanted }) {
                usleep(1000)
                waited += 1
            }
            parts = workers.compactMap { worker in worker.snapshot.withLock { $0 } }
        } else {
            parts = workers.map { $0.makeSnapshot() }
        }
        return parts
    }

    /// The chain's switch stages' flows in `ovs-ofctl dump-flows` form, counters summed over
    /// the workers (ports by chain port name).
    public func dumpFlows() -> String {
        let names = Dictionary(loaded.descriptor.ports.enumerated().map { ($1.name, UInt16($0)) }, uniquingKeysWith: { first, _ in first })
        let stages = counters().stages.filter { $0.kind == "switch" }
        guard !stages.isEmpty else { return "error: chain \(loaded.descriptor.name) has no switch stage" }
        return stages.map { stage in
            (stages.count > 1 ? "stage \(stage.name):\n" : "") + stage.flows.map {
                FlowSyntax.format($0.flow, ports: names, counters: ($0.packets, $0.bytes, $0.seconds))
            }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Adds a flow to the first switch stage (replacing one with the same table, priority and
    /// match, as ovs-ofctl add-flow does). Runtime only: a restart returns to the configuration.
    public func addFlow(_ text: String) throws(LiveChainError) -> String {
        let (stageName, flows) = try currentSwitchFlows()
        let flow: FlowEntry
        do { flow = try FlowSyntax.parse(text, ports: portNames) } catch { throw LiveChainError("add-flow: \(error)") }
        var updated = flows.filter { !($0.table == flow.table && $0.priority == flow.priority && $0.match == flow.match) }
        let replaced = updated.count < flows.count
        updated.append(flow)
        applySwitchFlows(stageName, updated)
        return replaced ? "flow replaced" : "flow added"
    }

    /// Deletes the flows of the first switch stage that match `text` loosely (every field it
    /// names, the flow pins to the same value), or all flows when `text` is empty.
    public func deleteFlows(_ text: String) throws(LiveChainError) -> String {
        let (stageName, flows) = try currentSwitchFlows()
        var remaining = flows
        if text.isEmpty {
            remaining = []
        } else {
            let pattern: FlowEntry
            do { pattern = try FlowSyntax.parse(text + (text.contains("actions=") ? "" : ",actions=drop"), ports: portNames) } catch {
                throw LiveChainError("del-flows: \(error)")
            }
            let given = pattern.match
            remaining = flows.filter { flow in
                let covered = flow.match.mask.masked(by: given.mask) == given.mask && flow.match.value.masked(by: given.mask) == given.value
                let sameTable = !text.contains("table=") || flow.table == pattern.table
                return !(covered && sameTable)
            }
        }
        applySwitchFlows(stageName, remaining)
        return "\(flows.count - remaining.count) flow(s) deleted"
    }

    var portNames: FlowSyntax.PortNames {
        Dictionary(loaded.descriptor.ports.enumerated().map { ($1.name, UInt16($0)) }, uniquingKeysWith: { first, _ in first })
    }

    func currentSwitchFlows() throws(LiveChainError) -> (String, [FlowEntry]) {
        guard let stage = loaded.descriptor.stages.first(where: { $0.vnf == "switch" }),
              let configuration = loaded.switches[stage.name] else {
            throw LiveChainError("chain \(loaded.descriptor.name) has no switch stage")
        }
        if let flows = switchFlows[stage.name] { return (stage.name, flows) }
        let names = portNames
        let flows = configuration.flows.compactMap { try? FlowSyntax.parse($0, ports: names) }
        return (stage.name, flows)
    }

    func applySwitchFlows(_ stageName: String, _ flows: [FlowEntry]) {
        switchFlows[stageName] = flows
        for worker in workers {
            for case let stage as SwitchStage in worker.chain.stages.map(\.unwrapped) where stage.name == stageName { stage.replaceFlows(flows) }
        }
    }

    /// Applies a changed chain to the running workers without stopping them: every changed
    /// firewall configuration, router route set, load-balancer backend set and NAT rule and
    /// forward set is swapped in between two batches (connections, neighbour entries, flow
    /// affinity and NAT mappings keep their state).
    /// Anything else that differs (ports, stages, other VNF configurations) cannot be applied
    /// live and is refused as a whole, with the reason. Returns the updated stage names.
    @discardableResult
    public func reload(_ new: LoadedChain) throws(LiveChainError) -> [String] {
        let old = loaded
        if old.descriptor.ports.count != new.descriptor.ports.count
            || zip(old.descriptor.ports, new.descriptor.ports).contains(where: { !$0.hasSameSettings(as: $1) }) {
            throw LiveChainError("the ports changed; ports are plumbed at start, so this needs a restart")
        }
        if old.descriptor.paths.count != new.descriptor.paths.count
            || zip(old.descriptor.paths, new.descriptor.paths).contains(where: { !$0.hasSameSettings(as: $1) })
            || old.descriptor.unmatched != new.descriptor.unmatched {
            throw LiveChainError("spec.paths or spec.unmatched changed; the path classifier is built at start, so this needs a restart")
        }
        if old.descriptor.workers != new.descriptor.workers {
            throw LiveChainError("spec.workers changed; queues are opened at start, so this needs a restart")
        }
        let oldStages = old.descriptor.stages.map { "\($0.name) (\($0.vnf))" }
        let newStages = new.descriptor.stages.map { "\($0.name) (\($0.vnf))" }
        if oldStages != newStages {
            throw LiveChainError("the stages changed (\(oldStages.joined(separator: ", ")) -> \(newStages.joined(separator: ", "))); "
                                 + "this needs a restart")
        }
        let updates = StageUpdates.between(old, new)
        guard updates.restart.isEmpty else {
            throw LiveChainError(updates.restart.map { "stage \($0.stage) (\($0.vnf)): \($0.reason)" }.joined(separator: "; ")
                                 + "; this needs a restart")
        }
        let balancerUpdates = updates.live.compactMap { change -> (String, LoadBalancerConfiguration)? in
            if case .loadBalancer(_, let after) = change.update { return (change.stage, after) }
            return nil
        }
        // Health checks follow the new backends: the monitors stop while the backends change.
        let restartMonitors = !balancerUpdates.isEmpty && isRunning.load(ordering: .acquiring)
        if restartMonitors {
            for monitor in monitors { monitor.stop() }
            monitors.removeAll()
        }
        for (name, update) in updates.live {
            for stage in stages(named: name) {
                do {
                    switch update {
                    case .firewall(_, let after): try (stage as? FirewallStage)?.update(to: after)
                    case .router(_, let after): try (stage as? RouterStage)?.update(to: after)
                    case .nat(_, let after): try (stage as? NATStage)?.update(to: after)
                    case .loadBalancer(_, let after):
                        for service in after.services { (stage as? LoadBalancerStage)?.replaceBackends(service.backends, service: service.name) }
                    }
                } catch {
                    throw LiveChainError("stage \(name): \(error)")
                }
            }
        }
        loaded = new
        if restartMonitors { startHealthChecks() }
        return updates.live.map(\.stage)
    }

    /// Every worker's instance of stage `name` (the stage itself, not a path gate around it).
    func stages(named name: String) -> [any Stage] {
        workers.flatMap { worker in worker.chain.stages.map(\.unwrapped).filter { $0.name == name } }
    }


    /// Closes the TAPs (the kernel removes them) and deletes the namespaces this run created.
    public func tearDown() {
        stop()
        workers.removeAll()
        queues.removeAll()
        for (name, namespace) in namespaces where ownedNamespaces.contains(name) {
            try? namespace.delete()
            unlink("\(Self.markDirectory)/netns-\(name)")
        }
        ownedNamespaces.removeAll()
        namespaces.removeAll()
    }
}

/// Why a live chain could not start, naming the port and the step.
public struct LiveChainError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

