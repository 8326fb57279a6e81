import Foundation
import NFVDescriptors

#if canImport(Glibc)
    import Glibc
#endif

/// The cgroup a chain's data plane runs in, `nfv/CHAIN` in each hierarchy that holds one of
/// the controllers (/sys/fs/cgroup/cpu/nfv/edge, /sys/fs/cgroup/memory/nfv/edge, ... on cgroup
/// v1; /sys/fs/cgroup/nfv/edge on v2), with the limits of the chain's `spec.resources`:
///
/// | limit | cgroup v1 | cgroup v2 |
/// |---|---|---|
/// | `cpus: 1.5` | `cpu.cfs_quota_us` 37500 per `cpu.cfs_period_us` 25000, `cpu.shares` 1536 | `cpu.max` "37500 25000", `cpu.weight` 59 |
/// | `memory: 256Mi` | `memory.limit_in_bytes` | `memory.max` (and `memory.swap.max` 0) |
/// | `cpuSet: [1]` | `cpuset.cpus` (and `cpuset.mems` from the parent) | `cpuset.cpus` |
///
/// The data plane makes its cgroup and moves itself in before it allocates its packet pools
/// and tables (so they are charged to it), and on a clean exit moves back and removes it; the
/// orchestrator removes it after a data plane that was killed, and the empty `nfv` level.
public struct ChainCgroup: Sendable {
    /// The directory under each hierarchy's root that holds the chains' cgroups.
    public static let parentName = "nfv"
    /// The CFS period the CPU share is expressed in: 25 ms. A chain over its share waits for
    /// the next period, so the period is the longest stall its packets see: at the kernel's
    /// default 100 ms, TCP through a `cpus: 0.5` chain stalled 50 ms at a time and fell to 0.38x
    /// of a whole CPU; at 10 ms, a neighbour limited to 5% of the same CPU broke into the chain
    /// a hundred times a second and cost it 8 to 12%. At 25 ms about 0.45x, and a few percent
    /// (IsolationTests print both figures).
    public static let periodMicroseconds = 25_000

    public let chain: String
    public let resources: ChainResources
    public let hierarchy: CgroupHierarchy

    /// Checks that the host has a controller for every limit `resources` sets, and that the
    /// CPUs of `cpuSet` exist; nothing is made yet.
    public init(chain: String, resources: ChainResources, hierarchy: CgroupHierarchy = .current()) throws(IsolationError) {
        self.chain = chain
        self.resources = resources
        self.hierarchy = hierarchy
        var needed: [(CgroupController, String)] = []
        if resources.cpus != nil { needed.append((.cpu, "cpus")) }
        if resources.memoryBytes != nil { needed.append((.memory, "memory")) }
        if resources.cpuSet != nil { needed.append((.cpuset, "cpuSet")) }
        for (controller, field) in needed where hierarchy.mounts[controller] == nil {
            throw IsolationError(
                "spec.resources.\(field) (\(resources.location)): this host mounts no cgroup \(controller.rawValue) controller "
                    + "(neither a v1 hierarchy with it nor a v2 one offering it); mount it, or remove the limit")
        }
        if let set = resources.cpuSet, let mount = hierarchy.mounts[.cpuset] {
            let available = Self.cpuList(Self.read(mount.path + "/" + (mount.version == .v1 ? "cpuset.cpus" : "cpuset.cpus.effective")) ?? "")
            let missing = set.filter { !available.contains($0) }
            if !available.isEmpty, !missing.isEmpty {
                throw IsolationError(
                    "spec.resources.cpuSet (\(resources.location)): CPU \(missing.map(String.init).joined(separator: ", ")) "
                        + "does not exist here; this host has CPUs \(Self.describe(available))")
            }
        }
    }

    /// The controllers this chain's cgroup uses: every one the host offers (so usage is
    /// counted even where no limit is set).
    public var controllers: [CgroupController] {
        CgroupController.allCases.filter { hierarchy.mounts[$0] != nil }
    }

    /// One directory per hierarchy (v1 hierarchies that combine controllers, and v2, hold
    /// several in one).
    public var directories: [String] {
        var seen: [String] = []
        for controller in controllers {
            let directory = directory(for: controller)!
            if !seen.contains(directory) { seen.append(directory) }
        }
        return seen
    }

    /// The chain's directory in `controller`'s hierarchy.
    public func directory(for controller: CgroupController) -> String? {
        hierarchy.mounts[controller].map { "\($0.path)/\(Self.parentName)/\(chain)" }
    }

    // MARK: making it

    /// Makes the directories and writes the limits (an existing cgroup of the chain, left by a
    /// killed run, is reused and its limits rewritten).
    public func create() throws(IsolationError) {
        for controller in controllers {
            let mount = hierarchy.mounts[controller]!
            let parent = "\(mount.path)/\(Self.parentName)"
            let directory = "\(parent)/\(chain)"
            if mount.version == .v2 {
                // v2 hands a controller to a level's children only when the level enables it.
                try enable(controller, in: mount.path)
                try makeDirectory(parent)
                try enable(controller, in: parent)
            } else {
                try makeDirectory(parent)
            }
            try makeDirectory(directory)
            try applyLimit(controller, version: mount.version, parent: parent, directory: directory)
        }
    }

    func applyLimit(_ controller: CgroupController, version: CgroupMount.Version, parent: String, directory: String) throws(IsolationError) {
        switch (controller, version) {
        case (.cpu, .v1):
            try write("\(Self.periodMicroseconds)", to: directory + "/cpu.cfs_period_us")
            try write(resources.cpus.map { "\(quota(cpus: $0))" } ?? "-1", to: directory + "/cpu.cfs_quota_us")
            try write("\(shares(cpus: resources.cpus))", to: directory + "/cpu.shares")
        case (.cpu, .v2):
            try write((resources.cpus.map { "\(quota(cpus: $0))" } ?? "max") + " \(Self.periodMicroseconds)", to: directory + "/cpu.max")
            // Kubernetes' conversion from shares (2 to 262144) to weight (1 to 10000).
            try write("\(1 + (shares(cpus: resources.cpus) - 2) * 9999 / 262_142)", to: directory + "/cpu.weight")
        case (.memory, .v1):
            try write(resources.memoryBytes.map { "\($0)" } ?? "-1", to: directory + "/memory.limit_in_bytes")
        case (.memory, .v2):
            try write(resources.memoryBytes.map { "\($0)" } ?? "max", to: directory + "/memory.max")
            // A data plane that swaps misses its packets' deadlines; the limit is of memory.
            try? write("0", to: directory + "/memory.swap.max")
        case (.cpuset, .v1):
            // A v1 cpuset starts with no CPUs and no memory nodes: each level gets its parent's.
            let root = (parent as NSString).deletingLastPathComponent
            for file in ["cpuset.cpus", "cpuset.mems"] where (Self.read(parent + "/" + file) ?? "").isEmpty {
                try write(Self.read(root + "/" + file) ?? "", to: parent + "/" + file)
            }
            try write(resources.cpuSet.map(Self.describe) ?? (Self.read(parent + "/cpuset.cpus") ?? ""), to: directory + "/cpuset.cpus")
            try write(Self.read(parent + "/cpuset.mems") ?? "", to: directory + "/cpuset.mems")
        case (.cpuset, .v2):
            try write(resources.cpuSet.map(Self.describe) ?? "", to: directory + "/cpuset.cpus")
        }
    }

    /// Writes `bytes` as the memory limit (nil: none), in place of `resources.memoryBytes`:
    /// while a successor takes a chain over (`nfv-dataplane --take-over`), the cgroup holds
    /// both data planes, so it gets room for both until the old one ended.
    public func setMemoryLimit(_ bytes: UInt64?) throws(IsolationError) {
        guard let mount = hierarchy.mounts[.memory], let directory = directory(for: .memory) else { return }
        if mount.version == .v1 {
            try write(bytes.map { "\($0)" } ?? "-1", to: directory + "/memory.limit_in_bytes")
        } else {
            try write(bytes.map { "\($0)" } ?? "max", to: directory + "/memory.max")
        }
    }

    func quota(cpus: Double) -> Int { max(1000, Int((cpus * Double(Self.periodMicroseconds)).rounded())) }

    /// The chain's weight when it competes for a CPU: its share in CPUs times 1024 (a whole
    /// CPU's default), as Kubernetes sets it from a request. A chain limited to 0.05 CPUs then
    /// also yields to a busy neighbour when both are runnable, instead of breaking into it with
    /// a full default weight each time its quota comes back.
    func shares(cpus: Double?) -> Int { cpus.map { min(262_144, max(2, Int(($0 * 1024).rounded()))) } ?? 1024 }

    func enable(_ controller: CgroupController, in directory: String) throws(IsolationError) {
        let enabled = (Self.read(directory + "/cgroup.subtree_control") ?? "").split(separator: " ").map(String.init)
        guard !enabled.contains(controller.rawValue) else { return }
        try write("+" + controller.rawValue, to: directory + "/cgroup.subtree_control")
    }

    func makeDirectory(_ path: String) throws(IsolationError) {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw IsolationError("create cgroup", path: path, code: errno, fix: "the data plane needs root to make its cgroup")
        }
    }

    // MARK: moving in and out

    /// Moves process `pid` (every thread of it) into the chain's cgroups.
    public func join(pid: pid_t = getpid()) throws(IsolationError) {
        for directory in directories {
            try write("\(pid)", to: directory + "/cgroup.procs")
        }
    }

    /// Moves this process back to the root of each hierarchy and removes the chain's cgroups
    /// (a clean exit's last step).
    public func leave() {
        for controller in controllers {
            guard let mount = hierarchy.mounts[controller] else { continue }
            try? write("\(getpid())", to: mount.path + "/cgroup.procs")
        }
        remove()
    }

    /// Removes the chain's cgroups once nothing runs in them, and the `nfv` level when no
    /// other chain has one and this process may: a hierarchy's root is read-only (mode 555)
    /// without CAP_DAC_OVERRIDE, so a data plane that dropped its privileges leaves the empty
    /// `nfv` level to the orchestrator (or to the next run). Harmless when they are gone.
    public func remove() {
        Self.remove(chain: chain, hierarchy: hierarchy)
    }

    /// Removes chain `chain`'s cgroups (empty ones: after its data plane ended).
    public static func remove(chain: String, hierarchy: CgroupHierarchy = .current()) {
        for mount in Set(hierarchy.mounts.values.map(\.path)) {
            let parent = "\(mount)/\(parentName)"
            // Still in use (a successor took the chain over): the parent stays too.
            guard rmdir("\(parent)/\(chain)") == 0 || errno == ENOENT else { continue }
            // A removed child is released asynchronously: its parent is busy for a moment.
            for _ in 0..<20 {
                guard rmdir(parent) != 0, errno == EBUSY else { break }
                usleep(10_000)
            }
        }
    }

    // MARK: reading back

    /// The memory limit in force (the kernel rounds to pages); nil when none is set.
    public var memoryLimit: UInt64? {
        guard let mount = hierarchy.mounts[.memory], let directory = directory(for: .memory) else { return nil }
        let file = mount.version == .v1 ? "memory.limit_in_bytes" : "memory.max"
        guard let text = Self.read(directory + "/" + file), let value = UInt64(text) else { return nil }
        // v1 writes "no limit" as the largest page-aligned value.
        return value >= UInt64(Int64.max) - 4096 ? nil : value
    }

    /// Memory charged to the chain now (v1 `memory.usage_in_bytes`, v2 `memory.current`).
    public var memoryUsage: UInt64? {
        guard let mount = hierarchy.mounts[.memory], let directory = directory(for: .memory) else { return nil }
        return Self.read(directory + "/" + (mount.version == .v1 ? "memory.usage_in_bytes" : "memory.current")).flatMap { UInt64($0) }
    }

    /// CPU periods so far, those in which the chain ran out of its share and waited, and the
    /// seconds it waited (v1 and v2 `cpu.stat`); nil without the cpu controller.
    public var cpuThrottling: (periods: UInt64, throttled: UInt64, seconds: Double)? {
        guard let mount = hierarchy.mounts[.cpu], let directory = directory(for: .cpu),
            let text = Self.read(directory + "/cpu.stat")
        else { return nil }
        var fields: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { fields[String(parts[0])] = value }
        }
        let seconds =
            mount.version == .v1 ? Double(fields["throttled_time"] ?? 0) / 1e9 : Double(fields["throttled_usec"] ?? 0) / 1e6
        return (fields["nr_periods"] ?? 0, fields["nr_throttled"] ?? 0, seconds)
    }

    // MARK: files

    func write(_ text: String, to path: String) throws(IsolationError) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw IsolationError("open", path: path, code: errno) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw IsolationError("write \"\(text)\" to", path: path, code: written < 0 ? errno : EIO)
        }
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The CPUs of a cpuset list ("0-3,6").
    public static func cpuList(_ text: String) -> [Int] {
        text.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 2, bounds[0] <= bounds[1] { return Array(bounds[0]...bounds[1]) }
            return bounds.count == 1 ? bounds : []
        }
    }

    /// CPUs as a cpuset list: "0,1,3".
    public static func describe(_ cpus: [Int]) -> String {
        cpus.sorted().map(String.init).joined(separator: ",")
    }
}
