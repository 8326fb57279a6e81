import Foundation
import NFVDescriptors
import NFVIsolation
import NFVTestSupport
import Testing

/// Which hierarchy holds each controller, read from mountinfo as the kernel writes it, and what
/// a chain's cgroup writes in each version.
@Suite struct CgroupHierarchyTests {
    /// These machines: v1 for cpu, cpuset and memory (cpu alone, not cpu,cpuacct), a v2
    /// hierarchy at /sys/fs/cgroup/unified offering none of them.
    static let hybrid = """
        25 1 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        26 25 0:23 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        27 25 0:24 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        28 25 0:25 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        29 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
        34 25 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test func readsAHybridHost() {
        let hierarchy = CgroupHierarchy.parse(mountInfo: Self.hybrid) { _ in "hugetlb\n" }
        #expect(hierarchy.mounts[.cpu] == CgroupMount(version: .v1, path: "/sys/fs/cgroup/cpu"))
        #expect(hierarchy.mounts[.cpuset] == CgroupMount(version: .v1, path: "/sys/fs/cgroup/cpuset"))
        #expect(hierarchy.mounts[.memory] == CgroupMount(version: .v1, path: "/sys/fs/cgroup/memory"))
    }

    @Test func readsAUnifiedHostAndCombinedV1Hierarchies() {
        let unified = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot"
        let hierarchy = CgroupHierarchy.parse(mountInfo: unified) { path in
            #expect(path == "/sys/fs/cgroup")
            return "cpuset cpu io memory pids\n"
        }
        #expect(hierarchy.mounts[.cpu] == CgroupMount(version: .v2, path: "/sys/fs/cgroup"))
        #expect(hierarchy.mounts[.memory] == CgroupMount(version: .v2, path: "/sys/fs/cgroup"))
        // A v2 root that does not offer a controller leaves it out.
        #expect(CgroupHierarchy.parse(mountInfo: unified) { _ in "pids\n" }.mounts.isEmpty)
        // cpu and cpuacct mounted together (systemd's layout), a mount point with a space.
        let combined =
            "26 25 0:23 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
            + "27 25 0:24 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory"
        let both = CgroupHierarchy.parse(mountInfo: combined) { _ in "" }
        #expect(both.mounts[.cpu]?.path == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(both.mounts[.memory]?.path == "/mnt/my cgroups")
        #expect(both.mounts[.cpuset] == nil)
    }

    @Test func refusesALimitTheHostHasNoControllerFor() {
        let hierarchy = CgroupHierarchy(mounts: [.cpu: CgroupMount(version: .v1, path: "/nonexistent/cpu")])
        let resources = ChainResources(memoryBytes: 256 << 20, location: SourceLocation(file: "c.yaml", line: 5, column: 14))
        #expect {
            _ = try ChainCgroup(chain: "edge", resources: resources, hierarchy: hierarchy)
        } throws: { error in
            "\(error)".hasPrefix("spec.resources.memory (c.yaml:5:14): this host mounts no cgroup memory controller")
        }
    }

    /// cgroup v2 (not mounted with controllers on these machines): what `create` writes, on a
    /// directory tree laid out as a v2 root with the files the kernel would show.
    @Test func writesV2Limits() throws {
        let root = try Fixtures.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let chainDirectory = root + "/nfv/edge"
        try FileManager.default.createDirectory(atPath: chainDirectory, withIntermediateDirectories: true)
        for file in [root + "/cgroup.subtree_control", root + "/nfv/cgroup.subtree_control", root + "/cpuset.cpus.effective"]
            + ["cpu.max", "cpu.weight", "memory.max", "memory.swap.max", "cpuset.cpus", "cgroup.procs"].map({ chainDirectory + "/" + $0 })
        {
            FileManager.default.createFile(atPath: file, contents: nil)
        }
        try "0-3\n".write(toFile: root + "/cpuset.cpus.effective", atomically: false, encoding: .utf8)
        let mount = CgroupMount(version: .v2, path: root)
        let hierarchy = CgroupHierarchy(mounts: [.cpu: mount, .cpuset: mount, .memory: mount])
        let location = SourceLocation(file: "c.yaml", line: 1, column: 1)
        let cgroup = try ChainCgroup(
            chain: "edge", resources: ChainResources(cpus: 1.5, memoryBytes: 256 << 20, cpuSet: [1, 3], location: location),
            hierarchy: hierarchy)
        #expect(cgroup.directories == [chainDirectory])
        try cgroup.create()
        func read(_ file: String) -> String { (try? String(contentsOfFile: chainDirectory + "/" + file, encoding: .utf8)) ?? "" }
        #expect(read("cpu.max") == "37500 25000")
        #expect(read("cpu.weight") == "59")
        #expect(read("memory.max") == "268435456")
        #expect(read("memory.swap.max") == "0")
        #expect(read("cpuset.cpus") == "1,3")
        #expect(cgroup.memoryLimit == 268_435_456)
        #expect(!((try? String(contentsOfFile: root + "/nfv/cgroup.subtree_control", encoding: .utf8)) ?? "").isEmpty)
        // A CPU the host does not have is refused before anything is made.
        #expect(throws: IsolationError.self) {
            _ = try ChainCgroup(chain: "edge", resources: ChainResources(cpuSet: [7], location: location), hierarchy: hierarchy)
        }
    }

    @Test func cpuListsReadAndWrite() {
        #expect(ChainCgroup.cpuList("0-3,6") == [0, 1, 2, 3, 6])
        #expect(ChainCgroup.cpuList("1") == [1])
        #expect(ChainCgroup.cpuList("") == [])
        #expect(ChainCgroup.describe([3, 1]) == "1,3")
    }
}
