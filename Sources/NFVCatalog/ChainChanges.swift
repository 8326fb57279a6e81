import NFVDescriptors

/// What differs between a running chain and a new version of it, and how each difference is
/// applied: the one place that decides what changes live and what needs a restart
/// (`DeploymentPlan` says it, `LiveChain.reload` does it).
///
/// Ports are plumbed, queues opened, the path classifier and the stage list built at start, so
/// a change to any of them restarts the chain; a changed stage configuration applies live when
/// its kind says it can (`VNFConfiguration.liveUpdateProblem`).
public struct ChainChanges: Sendable {
    /// A stage whose running instance takes a new configuration between two batches.
    public struct LiveUpdate: Sendable {
        public var stage: String
        public var before: VNFConfiguration
        public var after: VNFConfiguration

        /// A plan line: the stage, what changed, what it keeps.
        public var description: String {
            "stage \(stage) (\(after.kind.name)): \(before.liveChangeDescription(to: after))"
        }
    }

    /// Changes that need a restart, one line each, saying what and why ("(restart...)").
    public var restart: [String] = []
    /// Changes a new data plane applies when it takes the running one's queues and state over
    /// (`nfv-orch migrate`): connections carry on, so no restart is needed.
    public var handover: [String] = []
    /// Stage configurations the running chain takes live.
    public var live: [LiveUpdate] = []

    /// Whether the running chain can take every change live (or nothing changed).
    public var appliesLive: Bool { restart.isEmpty }

    /// The changes from `current` to `desired`.
    public static func between(_ current: LoadedChain, _ desired: LoadedChain) -> ChainChanges {
        var changes = ChainChanges()
        changes.restart = portChanges(current.descriptor.ports, desired.descriptor.ports)
        if current.descriptor.flowCache != desired.descriptor.flowCache {
            changes.restart.append(
                "flowCache: \(current.descriptor.flowCache.map(String.init) ?? "default") -> "
                    + "\(desired.descriptor.flowCache.map(String.init) ?? "default") (restart: the cache is sized at start)")
        }
        if current.descriptor.workers != desired.descriptor.workers {
            changes.restart.append(
                "workers: \(current.descriptor.workers.map(String.init) ?? "from the ports") -> "
                    + "\(desired.descriptor.workers.map(String.init) ?? "from the ports") (restart: queues are opened at start)")
        }
        if !sameLimits(current.descriptor.resources, desired.descriptor.resources) {
            let summary = "resources: \(resourceSummary(current.descriptor.resources)) -> \(resourceSummary(desired.descriptor.resources))"
            if current.descriptor.ports.contains(where: { $0.tap?.attachment != nil }) {
                // A migration does not carry containers' TAP queues yet; a restart attaches them again.
                changes.restart.append(summary + " (restart: a chain with container ports cannot move to a new data plane yet)")
            } else {
                changes.handover.append(summary + " (a new data plane takes the chain over in its cgroup, with its connections)")
            }
        }
        if current.descriptor.paths.count != desired.descriptor.paths.count
            || zip(current.descriptor.paths, desired.descriptor.paths).contains(where: { !$0.hasSameSettings(as: $1) })
            || current.descriptor.unmatched != desired.descriptor.unmatched
        {
            changes.restart.append(
                "paths: " + current.descriptor.paths.map(\.name).joined(separator: ", ") + " -> "
                    + desired.descriptor.paths.map(\.name).joined(separator: ", ")
                    + " (restart: the path classifier is built at start)")
        }
        let oldStages = current.descriptor.stages.map { "\($0.name) (\($0.vnf))" }
        let newStages = desired.descriptor.stages.map { "\($0.name) (\($0.vnf))" }
        guard oldStages == newStages else {
            changes.restart.append("stages: \(oldStages.joined(separator: " -> ")) => \(newStages.joined(separator: " -> ")) (restart)")
            return changes
        }
        for stage in desired.descriptor.stages {
            guard let before = current.configurations[stage.name], let after = desired.configurations[stage.name], before != after else {
                continue
            }
            if let problem = before.liveUpdateProblem(to: after) {
                changes.restart.append("stage \(stage.name) (\(stage.vnf)): \(problem) (restart)")
            } else {
                changes.live.append(LiveUpdate(stage: stage.name, before: before, after: after))
            }
        }
        let workers = desired.descriptor.workerCount
        if workers > 1 && changes.restart.isEmpty && WorkerSteering(chain: current) != WorkerSteering(chain: desired) {
            changes.restart.append(
                "NAT pool or forwards: changed (restart: on several workers, every worker steers packets by them)")
        }
        return changes
    }

    /// Ports added, removed, changed or reordered (each a restart: ports are plumbed at start).
    static func portChanges(_ oldPorts: [PortDescriptor], _ newPorts: [PortDescriptor]) -> [String] {
        var restart: [String] = []
        for port in newPorts {
            guard let old = oldPorts.first(where: { $0.name == port.name }) else {
                restart.append("port \(port.name): added (restart: ports are plumbed at start)")
                continue
            }
            if !old.hasSameSettings(as: port) {
                restart.append("port \(port.name): \(portSummary(old)) -> \(portSummary(port)) (restart)")
            }
        }
        for port in oldPorts where !newPorts.contains(where: { $0.name == port.name }) {
            restart.append("port \(port.name): removed (restart)")
        }
        if newPorts.map(\.name) != oldPorts.map(\.name), restart.isEmpty {
            restart.append(
                "ports reordered: \(oldPorts.map(\.name).joined(separator: ", ")) -> "
                    + "\(newPorts.map(\.name).joined(separator: ", ")) (restart)")
        }
        return restart
    }

    static func sameLimits(_ old: ChainResources?, _ new: ChainResources?) -> Bool {
        switch (old, new) {
        case (nil, nil): true
        case (let old?, let new?): old.hasSameLimits(as: new)
        default: false
        }
    }

    /// `cpus 0.5, memory 256Mi, cpuSet 1`, or `none`.
    public static func resourceSummary(_ resources: ChainResources?) -> String {
        guard let resources else { return "none" }
        var parts: [String] = []
        if let cpus = resources.cpus { parts.append("cpus \(cpus)") }
        if let bytes = resources.memoryBytes { parts.append("memory \(ChainResources.describe(bytes: bytes))") }
        if let set = resources.cpuSet { parts.append("cpuSet " + set.map(String.init).joined(separator: ",")) }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    static func portSummary(_ port: PortDescriptor) -> String {
        guard let tap = port.tap else { return port.kind.rawValue }
        var parts = ["tap \(tap.interfaceName)"]
        if let namespace = tap.namespace { parts.append("netns \(namespace)") }
        if let address = tap.address { parts.append(address) }
        if let gateway = tap.gateway { parts.append("via \(gateway)") }
        parts.append("mtu \(tap.mtu)")
        if tap.queues > 1 { parts.append("\(tap.queues) queues") }
        if let shaper = tap.shaper { parts.append("shaper \(shaper.rate) bit/s") }
        return parts.joined(separator: " ")
    }
}
