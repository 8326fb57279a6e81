import Foundation
import NFVCatalog
import NFVDescriptors
import NFVIsolation
import NFVNetlink
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one `nfv-dataplane` process per deployed chain and keeps it running: a data plane that
/// exits without being asked to is logged as an event and, as the chain's `spec.restart` says
/// (always by default, on-failure, never), restarted after a backoff (0.1 s, doubling, at most
/// 5 s); `limit` (5) starts within a minute put the chain in `crash-loop`, where it stays (with
/// the last error in `status`) until the next deploy or undeploy. A restarted
/// daemon re-adopts the data planes that still run (same pid, same chain) and restarts the
/// others, from the persisted snapshots.
///
/// Every deploy, update and undeploy is serialised; each is written to the store before it
/// acts, and logged as an event with its outcome.
public final class Supervisor: @unchecked Sendable {
    public let paths: OrchestratorPaths
    public let store: StateStore
    /// The nfv-dataplane executable.
    public let dataplane: String
    let lock = NSLock()
    let operations = NSLock()
    /// Serializes container attaches and detaches (the data plane's and the record's change).
    let attachmentEdits = NSLock()
    var runtimes: [String: Runtime] = [:]
    /// Load-balancer backends and TAP links of the running chains, as last seen.
    let runtimeWatch = RuntimeWatch()

    /// What the supervisor knows of one chain's data plane.
    final class Runtime: @unchecked Sendable {
        let name: String
        var pid: pid_t = 0
        var generation = 0
        /// False once an undeploy or a restart-for-update stops it on purpose.
        var wanted = true
        var recentStarts: [Double] = []
        /// What to do when the data plane exits on its own (the chain's spec.restart).
        var policy = ChainDescriptor.RestartPolicy()
        /// While a restart waits out its backoff: how long, and when it starts (epoch seconds).
        var backoff: (seconds: Double, until: Double)?
        /// A data plane handing the chain over to a successor (`migrate`): its exit is expected.
        var handingOver: pid_t?
        init(name: String) { self.name = name }
    }

    /// What a deploy did.
    public struct DeployResult: Codable, Sendable {
        public var plan: DeploymentPlan
        /// "created", "unchanged", "updated in place", "restarted".
        public var outcome: String
        public var generation: Int
    }

    public struct OperationError: Error, CustomStringConvertible, Codable, Sendable {
        public var description: String
        /// HTTP-style status: 400 bad input, 404 unknown chain, 409 refused by the plan.
        public var status: Int
        public init(_ description: String, status: Int = 400) {
            self.description = description
            self.status = status
        }
    }

    public init(paths: OrchestratorPaths, store: StateStore, dataplane: String) {
        self.paths = paths
        self.store = store
        self.dataplane = dataplane
    }

    // MARK: deploy / undeploy

    /// What deploying `snapshot` would do, without doing it.
    public func plan(_ snapshot: ChainSnapshot) throws(OperationError) -> DeploymentPlan {
        let desired = try load(snapshot, into: staging(snapshot.name))
        try checkPortOwnership(desired, snapshot: snapshot)
        return try makePlan(desired)
    }

    /// The plan for `desired` against what is deployed and what runs: flows edited at run
    /// time (`drift`) make an otherwise unchanged chain an update in place, which restores them.
    func makePlan(_ desired: LoadedChain) throws(OperationError) -> DeploymentPlan {
        var plan = DeploymentPlan.make(desired: desired, current: try current(desired.descriptor.name))
        guard plan.action == .unchanged || plan.action == .updateInPlace else { return plan }
        let drift = runningDrift(desired.descriptor.name)
        if !drift.isEmpty {
            plan.action = .updateInPlace
            plan.changes += drift
        }
        return plan
    }

    /// How deployed chain `name`'s running data plane differs from what was deployed: flows
    /// edited at run time (its `drift` answer), or another generation than the recorded one
    /// (the daemon died between a reload and recording it); empty when it runs as deployed
    /// or does not answer.
    func runningDrift(_ name: String) -> [String] {
        guard let record = try? store.chain(name) else { return [] }
        var lines: [String] = []
        let socket = paths.controlSocket(name)
        if let source = try? UnixSocket.command(socket, "source", timeoutSeconds: 2) {
            let running = (source.trimmingCharacters(in: .whitespacesAndNewlines) as NSString).deletingLastPathComponent
            let deployed = paths.chainDirectory(name, generation: record.generation)
            if running.hasPrefix(paths.stateDirectory + "/chains/"), running != deployed {
                lines.append(
                    "the data plane runs generation \((running as NSString).lastPathComponent), the deployed one is "
                        + "\(record.generation): a deploy reloads it")
            }
        }
        if let answer = try? UnixSocket.command(socket, "drift", timeoutSeconds: 2) {
            let text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty, text != "none", !text.hasPrefix("error") { lines += text.split(separator: "\n").map(String.init) }
        }
        return lines
    }

    /// Makes `snapshot` the chain's desired state and applies the plan: create, nothing,
    /// a live update, or (only with `allowRestart`) a restart. `wait`: until the data plane
    /// forwards (at most 15 s).
    public func deploy(_ snapshot: ChainSnapshot, allowRestart: Bool, wait: Bool) throws(OperationError) -> DeployResult {
        operations.lock()
        defer { operations.unlock() }
        let desired = try load(snapshot, into: staging(snapshot.name))
        try checkPortOwnership(desired, snapshot: snapshot)
        let record = try? store.chain(snapshot.name)
        let plan = try makePlan(desired)
        let name = snapshot.name
        if plan.action == .create || plan.action == .updateWithRestart || plan.action == .updateWithMigration {
            try checkResources(snapshot, desired: desired)
        }
        switch plan.action {
        case .unchanged, .delete:
            // Unchanged, but not running (crash-loop, failed): a deploy is how users say "try again".
            if let record, record.phase == "crash-loop" || record.phase == "failed" || record.phase == "exited" {
                lock.lock()
                runtimes[name]?.recentStarts = []
                lock.unlock()
                log(name, "deploy", "unchanged but \(record.phase): starting it again")
                try start(name, generation: record.generation, wait: wait)
                return DeployResult(plan: plan, outcome: "unchanged, restarted from \(record.phase)", generation: record.generation)
            }
            return DeployResult(plan: plan, outcome: "unchanged", generation: record?.generation ?? 0)
        case .create:
            try persist(snapshot, generation: 1, phase: "starting", restarts: 0)
            log(name, "deploy", "created: " + plan.changes.joined(separator: "; "))
            try start(name, generation: 1, wait: wait)
            return DeployResult(plan: plan, outcome: "created", generation: 1)
        case .updateInPlace:
            let generation = (record?.generation ?? 0) + 1
            let frozen: (chain: String, overrides: [String: String])
            do { frozen = try snapshot.freeze(into: paths.chainDirectory(name, generation: generation)) } catch {
                throw OperationError("cannot write the chain's files: \(error)", status: 500)
            }
            let arguments = ["reload", frozen.chain] + frozen.overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let answer: String
            do { answer = try UnixSocket.command(paths.controlSocket(name), arguments.joined(separator: " ")) } catch {
                throw OperationError("chain \(name): the data plane did not take the update (\(error)); nothing changed", status: 503)
            }
            guard answer.hasPrefix("reloaded") else {
                log(name, "update-failed", answer)
                throw OperationError("chain \(name): the data plane refused the update: \(answer)", status: 409)
            }
            if !runningDrift(name).isEmpty {
                _ = try? UnixSocket.command(paths.controlSocket(name), "reset-flows")
            }
            try persist(
                snapshot, generation: generation, phase: record?.phase ?? "running", restarts: record?.restarts ?? 0,
                pid: record?.pid)
            setGeneration(name, generation)
            lock.lock()
            runtimes[name]?.policy = desired.descriptor.restart
            lock.unlock()
            log(name, "update", "updated in place (generation \(generation)): " + plan.changes.joined(separator: "; "))
            return DeployResult(plan: plan, outcome: "updated in place", generation: generation)
        case .updateWithMigration:
            guard let record else { throw OperationError("no chain \(name) is deployed", status: 404) }
            let generation = record.generation + 1
            try persist(snapshot, generation: generation, phase: "running", restarts: record.restarts, pid: record.pid)
            do {
                let moved = try handOver(name, generation: generation)
                setGeneration(name, generation)
                log(name, "update", "updated by migration (generation \(generation)): " + plan.changes.joined(separator: "; "))
                return DeployResult(plan: plan, outcome: "updated by migration: " + moved, generation: generation)
            } catch {
                // The running data plane goes on with the files it runs: record them again.
                try? persist(record.snapshot, generation: record.generation, phase: "running", restarts: record.restarts, pid: record.pid)
                throw error
            }
        case .updateWithRestart:
            guard allowRestart else {
                throw OperationError(
                    "chain \(name) needs a restart to apply: " + plan.changes.joined(separator: "; ")
                        + ". Traffic stops while it restarts; deploy with --allow-restart to accept that", status: 409)
            }
            let generation = (record?.generation ?? 0) + 1
            stopDataplane(name)
            try persist(snapshot, generation: generation, phase: "starting", restarts: record?.restarts ?? 0)
            log(name, "deploy", "restarted for: " + plan.changes.joined(separator: "; "))
            try start(name, generation: generation, wait: wait)
            return DeployResult(plan: plan, outcome: "restarted", generation: generation)
        }
    }

    /// Stops chain `name`'s data plane (which removes what it created) and forgets the chain.
    /// `force` always succeeds: it kills what does not stop, removes namespaces the data plane
    /// marked as its own, and drops the record whatever state it is in.
    public func undeploy(_ name: String, force: Bool) throws(OperationError) -> String {
        operations.lock()
        defer { operations.unlock() }
        let record = try? store.chain(name)
        guard record != nil || force else {
            throw OperationError("no chain \(name) is deployed" + suggestion(name), status: 404)
        }
        let stopped = stopDataplane(name)
        var notes = [stopped] + removeContainerInterfaces(name)
        if let record, let loaded = try? record.snapshot.load(frozenIn: paths.chainDirectory(name, generation: record.generation)) {
            notes += removeMarkedNamespaces(loaded)
        }
        try? store.delete(name)
        try? FileManager.default.removeItem(atPath: "\(paths.stateDirectory)/chains/\(name)")
        lock.lock()
        runtimes[name] = nil
        lock.unlock()
        runtimeWatch.forget(name)
        log(name, "undeploy", notes.filter { !$0.isEmpty }.joined(separator: "; "))
        return "chain \(name): undeployed"
            + (notes.filter { !$0.isEmpty }.isEmpty ? "" : " (" + notes.filter { !$0.isEmpty }.joined(separator: "; ") + ")")
    }

    /// Stops chain `name`'s data plane and starts it again from the deployed generation,
    /// waiting until it forwards; a crash-looped or exited chain starts again.
    public func restart(_ name: String) throws(OperationError) -> String {
        operations.lock()
        defer { operations.unlock() }
        guard let record = try? store.chain(name) else {
            throw OperationError("no chain \(name) is deployed" + suggestion(name), status: 404)
        }
        let stopped = stopDataplane(name)
        lock.lock()
        runtimes[name]?.recentStarts = []
        lock.unlock()
        log(name, "restart", "restart requested" + (stopped.isEmpty ? " (no data plane was running)" : ": " + stopped))
        try start(name, generation: record.generation, wait: true)
        let pid = (try? store.chain(name))?.pid.map { " (data plane pid \($0))" } ?? ""
        return "chain \(name): restarted, generation \(record.generation)" + pid
    }

    // MARK: status

    /// A chain's desired and actual state.
    public struct ChainStatus: Codable, Sendable {
        /// A port as deployed: its name, type, and for a TAP the device and its kernel side.
        public struct Port: Codable, Sendable, CustomStringConvertible {
            public var name: String
            public var type: String
            public var interface: String?
            public var namespace: String?
            public var address: String?
            public var gateway: String?
            public var mtu: Int?
            public var queues: Int?
            /// `cni` for a container port.
            public var attach: String?
            /// The container attached to a container port, if any.
            public var container: ContainerAttachmentView?

            /// `name (tap IFNAME in NAMESPACE)`; a container port: `name (container ID's IFNAME
            /// in NETNS)` or `name (attach: cni, no container)`.
            public var description: String {
                if attach != nil {
                    return name
                        + (container.map { " (container \($0.containerID.prefix(12))'s \($0.interface) in \($0.namespacePath))" }
                            ?? " (attach: cni, no container)")
                }
                return name + (interface.map { " (\(type) \($0)" + (namespace.map { " in \($0)" } ?? "") + ")" } ?? "")
            }
        }

        /// A stage: its name and VNF kind.
        public struct Stage: Codable, Sendable, CustomStringConvertible {
            public var name: String
            public var vnf: String
            /// `name (vnf)`.
            public var description: String { "\(name) (\(vnf))" }
        }

        public var name: String
        public var file: String
        public var generation: Int
        public var phase: String
        public var running: Bool
        public var pid: Int32?
        public var restarts: Int
        public var lastError: String?
        /// While the chain waits to restart after a failure: the backoff's length (seconds).
        public var backoffSeconds: Double?
        /// ... and how long is left of it (seconds).
        public var restartInSeconds: Double?
        public var ports: [Port]
        public var stages: [Stage]
        /// Load-balancer backends and their health, as last seen (none without a load balancer).
        public var backends: [BackendView]?
        /// The TAP ports' links (device there, up), as last seen.
        public var links: [PortLinkView]?
        /// With `spec.resources`: the limits and what the chain's cgroup counts now.
        public var resources: Resources?

        /// `spec.resources` and the cgroup's counts.
        public struct Resources: Codable, Sendable {
            /// The limits as written (`cpus 0.5, memory 256Mi, cpuSet 1`).
            public var limits: String
            public var memoryUsedBytes: UInt64?
            public var memoryLimitBytes: UInt64?
            /// CPU periods so far, those the chain waited out over its share, and for how long.
            public var cpuPeriods: UInt64?
            public var cpuThrottledPeriods: UInt64?
            public var cpuThrottledSeconds: Double?
        }
    }

    public func list() -> [ChainStatus] {
        ((try? store.chains()) ?? []).map(status)
    }

    public func status(_ name: String) throws(OperationError) -> ChainStatus {
        guard let record = try? store.chain(name) else { throw OperationError("no chain \(name) is deployed" + suggestion(name), status: 404) }
        return status(record)
    }

    func status(_ record: StateStore.ChainRecord) -> ChainStatus {
        let running = record.pid.map { ProcessSpawner.isRunning($0, executable: dataplane, marker: paths.controlSocket(record.name)) } ?? false
        let loaded = try? LoadedChain.load(
            path: paths.chainDirectory(record.name, generation: record.generation) + "/chain.yaml",
            configOverrides: overrides(record))
        lock.lock()
        let backoff = runtimes[record.name]?.backoff
        lock.unlock()
        let attached = (try? store.attachments(of: record.name)) ?? []
        return ChainStatus(
            name: record.name, file: record.snapshot.chainFile.sourcePath, generation: record.generation,
            phase: record.phase, running: running, pid: running ? record.pid : nil, restarts: record.restarts,
            lastError: record.lastError, backoffSeconds: backoff?.seconds,
            restartInSeconds: backoff.map { max(0, $0.until - Date().timeIntervalSince1970) },
            ports: loaded?.descriptor.ports.map { port in
                ChainStatus.Port(
                    name: port.name, type: port.kind.rawValue, interface: port.tap?.interfaceName, namespace: port.tap?.namespace,
                    address: port.tap?.address, gateway: port.tap?.gateway, mtu: port.tap?.mtu, queues: port.tap?.queues,
                    attach: port.tap?.attachment?.rawValue, container: attached.first { $0.port == port.name })
            } ?? [],
            stages: loaded?.descriptor.stages.map { ChainStatus.Stage(name: $0.name, vnf: $0.vnf) } ?? [],
            backends: runtimeWatch.backends(of: record.name), links: runtimeWatch.links(of: record.name),
            resources: loaded?.descriptor.resources.map { resourceView(record.name, $0, running: running) })
    }

    /// The files chain `name` was deployed from.
    public func snapshot(_ name: String) throws(OperationError) -> ChainSnapshot {
        guard let record = try? store.chain(name) else { throw OperationError("no chain \(name) is deployed" + suggestion(name), status: 404) }
        return record.snapshot
    }

    /// Sends one command line to chain `name`'s data plane; an answer starting with "error:" is
    /// an error (409).
    public func dataplaneCommand(_ name: String, _ line: String) throws(OperationError) -> String {
        guard (try? store.chain(name)) != nil else { throw OperationError("no chain \(name) is deployed" + suggestion(name), status: 404) }
        let answer: String
        do { answer = try UnixSocket.command(paths.controlSocket(name), line) } catch {
            throw OperationError("chain \(name): its data plane does not answer (\(error)); see nfv-orch status \(name)", status: 503)
        }
        if answer.hasPrefix("error:") { throw OperationError(String(answer.dropFirst(6)).trimmingCharacters(in: .whitespaces), status: 409) }
        return answer
    }

    /// The data plane's counters as JSON (ports, stages, drops by reason, rule hits).
    public func stats(_ name: String) throws(OperationError) -> String {
        guard (try? store.chain(name)) != nil else { throw OperationError("no chain \(name) is deployed" + suggestion(name), status: 404) }
        do { return try UnixSocket.command(paths.controlSocket(name), "counters json") } catch {
            throw OperationError("chain \(name): its data plane does not answer (\(error)); see nfv-orch status \(name)", status: 503)
        }
    }

    // MARK: supervision

    /// After the daemon starts: adopt the data planes that still run, start the others; then
    /// watch load-balancer backends and TAP links. A data
    /// plane is found by its control socket among its arguments, so one the previous daemon
    /// spawned but died before recording is adopted too (never a second one started); should
    /// several run for one chain, the recorded one (or the oldest) is kept and the others stopped.
    public func resume() {
        for record in (try? store.chains()) ?? [] {
            let runtime = Runtime(name: record.name)
            runtime.generation = record.generation
            lock.lock()
            runtimes[record.name] = runtime
            lock.unlock()
            let found = dataplanes(of: record.name)
            if let pid = record.pid.flatMap({ found.contains($0) ? $0 : nil }) ?? found.first {
                runtime.pid = pid
                for stray in found where stray != pid {
                    log(record.name, "stray", "data plane pid \(stray) also runs the chain: " + stop(stray, name: record.name))
                }
                let ready = access("\(paths.runDirectory)/\(record.name).ready", F_OK) == 0
                try? store.update(record.name) {
                    $0.pid = pid
                    if ready { $0.phase = "running" }
                }
                log(
                    record.name, "adopted",
                    "data plane pid \(pid) still runs generation \(record.generation): adopted"
                        + (record.pid == pid ? "" : " (the previous daemon had not recorded it)"))
                watch(runtime, pid: pid, child: false)
            } else if record.phase != "crash-loop" && record.phase != "exited" {
                log(record.name, "restart", "data plane not running after the daemon restarted: starting it")
                try? start(record.name, generation: record.generation, wait: false)
            }
        }
        runtimeWatch.start(self)
    }

    /// Starts the data plane of chain `name` from generation `generation`'s frozen files.
    /// The data plane's command line for chain `name`'s generation `generation` (its files
    /// written out), and the chain's restart policy.
    func dataplaneArguments(_ name: String, generation: Int) throws(OperationError) -> (
        arguments: [String], policy: ChainDescriptor.RestartPolicy
    ) {
        guard let record = try? store.chain(name) else { throw OperationError("no chain \(name)", status: 404) }
        let directory = paths.chainDirectory(name, generation: generation)
        let frozen: (chain: String, overrides: [String: String])
        do { frozen = try record.snapshot.freeze(into: directory) } catch {
            throw OperationError("cannot write the chain's files: \(error)", status: 500)
        }
        try? FileManager.default.createDirectory(atPath: paths.runDirectory, withIntermediateDirectories: true)
        var arguments = [frozen.chain, "--control", paths.controlSocket(name), "--ready-file", readyPath(name), "--orchestrated"]
        for (stage, file) in frozen.overrides.sorted(by: { $0.key < $1.key }) { arguments += ["--stage-config", "\(stage)=\(file)"] }
        if let attachments = attachmentsFile(name) { arguments += ["--attachments", attachments] }
        let policy =
            (try? LoadedChain.load(path: frozen.chain, configOverrides: frozen.overrides))?.descriptor.restart
            ?? ChainDescriptor.RestartPolicy()
        return (arguments, policy)
    }

    /// The file a data plane creates once it forwards.
    func readyPath(_ name: String) -> String { "\(paths.runDirectory)/\(name).ready" }

    func start(_ name: String, generation: Int, wait: Bool) throws(OperationError) {
        var (arguments, policy) = try dataplaneArguments(name, generation: generation)
        let ready = readyPath(name)
        unlink(ready)
        // A restored chain's first start takes the snapshot's state (removed once it forwards).
        if access(pendingStatePath(name), F_OK) == 0 { arguments += ["--restore-state", pendingStatePath(name)] }
        let pid: pid_t
        do { pid = try ProcessSpawner.spawn(dataplane, arguments, logPath: "\(paths.stateDirectory)/chains/\(name)/dataplane.log") } catch {
            try? store.update(name) {
                $0.phase = "failed"
                $0.lastError = error.description
            }
            log(name, "failed", error.description)
            throw OperationError("chain \(name): \(error)", status: 500)
        }
        lock.lock()
        let runtime = runtimes[name] ?? Runtime(name: name)
        runtimes[name] = runtime
        runtime.pid = pid
        runtime.generation = generation
        runtime.wanted = true
        runtime.policy = policy
        runtime.recentStarts.append(Date().timeIntervalSince1970)
        lock.unlock()
        try? store.update(name) {
            $0.pid = pid
            $0.phase = "starting"
            $0.generation = generation
        }
        log(name, "started", "data plane pid \(pid), generation \(generation)")
        watch(runtime, pid: pid, child: true)
        if wait {
            for _ in 0..<150 where access(ready, F_OK) != 0 && ProcessSpawner.isRunning(pid, executable: dataplane, marker: paths.controlSocket(name))
            {
                usleep(100_000)
            }
            guard access(ready, F_OK) == 0 else {
                let tail = logTail(name)
                throw OperationError("chain \(name): the data plane did not come up: \(tail)", status: 500)
            }
            try? store.update(name) {
                $0.phase = "running"
                $0.lastError = nil
            }
        }
    }

    /// Waits (on its own thread) for the data plane to end, then decides: stopped on purpose,
    /// restart with backoff, or crash-loop.
    func watch(_ runtime: Runtime, pid: pid_t, child: Bool) {
        let marker = paths.controlSocket(runtime.name)
        let ready = readyPath(runtime.name)
        Thread.detachNewThread { [self] in
            var status: Int32 = 0
            var seenReady = false
            // Poll rather than block in waitpid, to mark the chain running once it is (an
            // adopted data plane, not our child, is watched through /proc).
            while true {
                if child {
                    let result = waitpid(pid, &status, WNOHANG)
                    if result == pid || (result < 0 && errno == ECHILD) { break }
                } else if !ProcessSpawner.isRunning(pid, executable: dataplane, marker: marker) {
                    break
                }
                if !seenReady, access(ready, F_OK) == 0 {
                    seenReady = true
                    unlink(pendingStatePath(runtime.name))
                    try? store.update(runtime.name) { if $0.pid == pid { $0.phase = "running" } }
                }
                usleep(50_000)
            }
            exited(runtime, pid: pid, status: child ? status : nil)
        }
    }

    func exited(_ runtime: Runtime, pid: pid_t, status: Int32?) {
        lock.lock()
        if runtime.handingOver == pid {
            // It was handing the chain over: `migrate` decides what follows (the successor runs
            // the chain, or the chain starts anew if neither runs).
            runtime.handingOver = nil
            lock.unlock()
            return
        }
        let wanted = runtime.wanted && runtime.pid == pid && runtimes[runtime.name] === runtime
        let now = Date().timeIntervalSince1970
        runtime.recentStarts = runtime.recentStarts.filter { now - $0 < 60 }
        let recent = runtime.recentStarts.count
        let policy = runtime.policy
        let current = runtime.pid == pid
        lock.unlock()
        // Its cgroup (spec.resources) goes with it; a data plane started since reuses it.
        if current { ChainCgroup.remove(chain: runtime.name) }
        guard wanted else { return }
        let how = status.map { Self.describe(exitStatus: $0) } ?? "exited"
        // A signal says it all; after an exit of its own the data plane's last lines say why.
        let killed = status.map { $0 & 0x7F != 0 } ?? false
        let reason = "data plane pid \(pid) \(how)" + (killed ? "" : ": " + logTail(runtime.name))
        log(runtime.name, "exited", reason)
        let cleanExit = status.map { $0 & 0x7F == 0 && ($0 >> 8) & 0xFF == 0 } ?? false
        if policy.mode == .never || (policy.mode == .onFailure && cleanExit) {
            try? store.update(runtime.name) {
                $0.phase = "exited"
                $0.pid = nil
                $0.lastError = reason
            }
            log(runtime.name, "not-restarted", "restart policy \(policy.mode.rawValue): the chain stays down until the next deploy")
            return
        }
        if recent >= policy.limit {
            try? store.update(runtime.name) {
                $0.phase = "crash-loop"
                $0.pid = nil
                $0.lastError = reason
            }
            log(
                runtime.name, "crash-loop",
                "\(recent) starts within a minute (limit \(policy.limit)): not restarting; fix the chain and deploy again, or undeploy")
            return
        }
        try? store.update(runtime.name) {
            $0.phase = "restarting"
            $0.pid = nil
            $0.lastError = reason
            $0.restarts += 1
        }
        let delay = min(0.1 * pow(2, Double(max(recent - 1, 0))), 5)
        lock.lock()
        runtime.backoff = (delay, Date().timeIntervalSince1970 + delay)
        lock.unlock()
        usleep(UInt32(delay * 1_000_000))
        lock.lock()
        runtime.backoff = nil
        let stillWanted = runtime.wanted && runtimes[runtime.name] === runtime
        lock.unlock()
        guard stillWanted else { return }
        log(runtime.name, "restart", String(format: "restarting after %.1f s", delay))
        try? start(runtime.name, generation: runtime.generation, wait: false)
    }

    /// Stops the chain's data planes on purpose: the recorded one and any other that runs the
    /// chain (found by its control socket among its arguments). Returns a note for the event log.
    @discardableResult
    func stopDataplane(_ name: String) -> String {
        lock.lock()
        let runtime = runtimes[name]
        runtime?.wanted = false
        lock.unlock()
        let recorded = runtime?.pid ?? (try? store.chain(name))?.pid ?? 0
        let marker = paths.controlSocket(name)
        let pids = Set(dataplanes(of: name) + (ProcessSpawner.isRunning(recorded, executable: dataplane, marker: marker) ? [recorded] : []))
        return pids.sorted().map { pid in stop(pid, name: name) + (pid == recorded || pids.count == 1 ? "" : " (pid \(pid))") }
            .joined(separator: "; ")
    }

    /// Stops data plane `pid` of chain `name`: "stop" on its control socket (it removes what it
    /// created), then SIGTERM, then SIGKILL.
    func stop(_ pid: pid_t, name: String) -> String {
        let marker = paths.controlSocket(name)
        _ = try? UnixSocket.command(marker, "stop", timeoutSeconds: 2)
        if waitForExit(pid, marker: marker, seconds: 5) { return "data plane stopped" }
        kill(pid, SIGTERM)
        if waitForExit(pid, marker: marker, seconds: 2) { return "data plane stopped by SIGTERM" }
        kill(pid, SIGKILL)
        _ = waitForExit(pid, marker: marker, seconds: 2)
        return "data plane killed (it did not stop)"
    }

    /// The data planes running chain `name`, whoever started them.
    func dataplanes(of name: String) -> [pid_t] {
        ProcessSpawner.running(executable: dataplane, marker: paths.controlSocket(name))
    }

    func waitForExit(_ pid: pid_t, marker: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return true }
            if !ProcessSpawner.isRunning(pid, executable: dataplane, marker: marker) { return true }
            usleep(20_000)
        }
        return false
    }

    /// Namespaces of the chain that a data plane marked as its own, that are still there (it
    /// was killed) and that no running data plane uses (another chain may share them):
    /// removed, with their marks. Claims a killed data plane left on its TAPs go too.
    func removeMarkedNamespaces(_ chain: LoadedChain) -> [String] {
        var notes: [String] = []
        for tap in chain.descriptor.ports.compactMap(\.tap) { _ = ResourceClaims.holders(.tap, tap.interfaceName) }
        for name in Set(chain.descriptor.ports.compactMap { $0.tap?.namespace }) {
            ResourceClaims.whileUnclaimed(.namespace, name) {
                let mark = NamespaceMark(namespace: name)
                guard mark.isSet else { return }
                if access("/run/netns/\(name)", F_OK) == 0 {
                    if let namespace = try? NetworkNamespace(name: name), (try? namespace.delete()) != nil {
                        notes.append("namespace \(name) left by the data plane removed")
                    }
                }
                mark.remove()
            }
        }
        return notes
    }

    // MARK: helpers

    func staging(_ name: String) -> String { "\(paths.stateDirectory)/staging/\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

    /// Loads `snapshot` frozen into `directory` (removed afterwards).
    func load(_ snapshot: ChainSnapshot, into directory: String) throws(OperationError) -> LoadedChain {
        // What an API client sends is checked before it is used: the chain file comes first,
        // and the snapshot's name is the chain's.
        guard let first = snapshot.files.first, first.stage == nil else {
            throw OperationError("a chain snapshot lists the chain file first (without a stage), then one file per configured stage")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let loaded: LoadedChain
        do { loaded = try snapshot.load(frozenIn: directory) } catch let error as DescriptorErrorList {
            throw OperationError(error.errors.map(\.description).joined(separator: "\n"))
        } catch {
            throw OperationError("\(error)")
        }
        guard loaded.descriptor.name == snapshot.name else {
            throw OperationError("the snapshot is named \(snapshot.name) but its chain file names \(loaded.descriptor.name)")
        }
        return loaded
    }

    /// The deployed chain `name`, loaded from its frozen files; nil when none is deployed.
    func current(_ name: String) throws(OperationError) -> LoadedChain? {
        guard let record = try? store.chain(name) else { return nil }
        return try load(record.snapshot, into: staging(name))
    }

    func overrides(_ record: StateStore.ChainRecord) -> [String: String] {
        let directory = paths.chainDirectory(record.name, generation: record.generation)
        return Dictionary(
            record.snapshot.files.compactMap { $0.stage }.map { ($0, "\(directory)/stage-\($0).yaml") },
            uniquingKeysWith: { first, _ in first })
    }

    /// Two deployed chains never claim the same TAP device, and no chain takes a TAP or a
    /// namespace that a running data plane of another chain, or a standalone run, holds
    /// (`ResourceClaims`: the check the data plane itself makes, made here first). Messages
    /// name the user's file, line and column.
    func checkPortOwnership(_ desired: LoadedChain, snapshot: ChainSnapshot) throws(OperationError) {
        let wanted = Set(desired.descriptor.ports.compactMap { $0.tap?.interfaceName })
        for record in (try? store.chains()) ?? [] where record.name != desired.descriptor.name {
            guard let other = try? load(record.snapshot, into: staging(record.name)) else { continue }
            for port in other.descriptor.ports {
                if let tap = port.tap, wanted.contains(tap.interfaceName) {
                    let mine = desired.descriptor.ports.first { $0.tap?.interfaceName == tap.interfaceName }
                    throw OperationError(
                        (mine.map { "\(snapshot.chainFile.sourcePath):\($0.location.line):\($0.location.column): port \($0.name): " } ?? "")
                            + "TAP \(tap.interfaceName) belongs to deployed chain \(record.name) (port \(port.name)); "
                            + "a TAP has one owner: pick another ifname or undeploy \(record.name)", status: 409)
                }
            }
        }
        let name = desired.descriptor.name
        for port in desired.descriptor.ports {
            guard let tap = port.tap else { continue }
            let place = "\(snapshot.chainFile.sourcePath):\(port.location.line):\(port.location.column): port \(port.name)"
            let tapHolders = ResourceClaims.holders(.tap, tap.interfaceName).filter { !($0.kind == .orchestrated && $0.chain == name) }
            if !tapHolders.isEmpty {
                throw OperationError(
                    "\(place): " + ResourceClaims.Refusal(kind: .tap, name: tap.interfaceName, holders: tapHolders).description,
                    status: 409)
            }
            if let namespace = tap.namespace {
                let standalone = ResourceClaims.holders(.namespace, namespace).filter { $0.kind == .standalone }
                if !standalone.isEmpty {
                    throw OperationError(
                        "\(place): " + ResourceClaims.Refusal(kind: .namespace, name: namespace, holders: standalone).description,
                        status: 409)
                }
            }
        }
    }

    func persist(_ snapshot: ChainSnapshot, generation: Int, phase: String, restarts: Int, pid: pid_t? = nil) throws(OperationError) {
        do {
            _ = try snapshot.freeze(into: paths.chainDirectory(snapshot.name, generation: generation))
            try store.save(
                StateStore.ChainRecord(
                    name: snapshot.name, snapshot: snapshot, generation: generation, phase: phase,
                    pid: pid, restarts: restarts, lastError: nil,
                    updatedAt: Date().timeIntervalSince1970))
        } catch {
            throw OperationError("cannot persist chain \(snapshot.name): \(error)", status: 500)
        }
    }

    func setGeneration(_ name: String, _ generation: Int) {
        lock.lock()
        runtimes[name]?.generation = generation
        lock.unlock()
    }

    func log(_ chain: String, _ kind: String, _ message: String) {
        _ = try? store.log(chain, kind, message)
    }

    func suggestion(_ name: String) -> String {
        let names = ((try? store.chains()) ?? []).map(\.name)
        if let close = Suggestion.closest(to: name, in: names) { return "; did you mean \"\(close)\"?" }
        return names.isEmpty ? "; nothing is deployed" : "; deployed: " + names.joined(separator: ", ")
    }

    /// The last lines the data plane wrote (its error, usually).
    func logTail(_ name: String) -> String {
        guard let text = try? String(contentsOfFile: "\(paths.stateDirectory)/chains/\(name)/dataplane.log", encoding: .utf8) else { return "no log" }
        let lines = text.split(separator: "\n").suffix(3)
        return lines.isEmpty ? "no output" : lines.joined(separator: " | ")
    }

    static func describe(exitStatus status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "was killed by signal \(signal)" + (signal == SIGKILL ? " (SIGKILL)" : signal == SIGSEGV ? " (SIGSEGV)" : "")
    }
}
