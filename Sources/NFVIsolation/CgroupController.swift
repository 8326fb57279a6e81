/// The cgroup controllers a chain's limits use.
public enum CgroupController: String, CaseIterable, Sendable {
    /// CPU time per period (`cpus:`): v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, v2 `cpu.max`.
    case cpu
    /// The CPUs a chain may run on (`cpuSet:`): `cpuset.cpus` in both versions.
    case cpuset
    /// The memory limit (`memory:`): v1 `memory.limit_in_bytes`, v2 `memory.max`.
    case memory
}
