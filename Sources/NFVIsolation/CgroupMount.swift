/// Where one controller's hierarchy is mounted and in which version.
public struct CgroupMount: Sendable, Equatable {
    public enum Version: Sendable, Equatable {
        /// cgroup v1: one hierarchy per controller (or a few combined), limits in
        /// `cpu.cfs_quota_us`, `memory.limit_in_bytes`, ...
        case v1
        /// cgroup v2: one unified hierarchy, controllers enabled per level through
        /// `cgroup.subtree_control`, limits in `cpu.max`, `memory.max`, ...
        case v2
    }

    public var version: Version
    /// The mount point (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup`).
    public var path: String

    public init(version: Version, path: String) {
        self.version = version
        self.path = path
    }
}
