import Foundation
import NFVIsolation
import NFVOrchestrator
import NFVTestSupport
import Testing

/// Isolation per chain through the real binaries and the host's cgroups (v1 here): a chain whose
/// pools and tables do not fit its memory limit is refused before anything is made; a running
/// data plane sits in its cgroup with the limits written, keeps three capabilities and
/// no_new_privs, and its cgroup goes when it does. (What the limits do to throughput:
/// IsolationThroughputTests.)
@Suite(.serialized) struct IsolationTests {
    let suffix = String(getpid() % 100_000)

    /// A chain of one pass-through stage between TAPs in namespaces `client` (10.226.N.1) and
    /// `server` (10.226.N.2), without offloads (1500-byte frames: the data plane's work per
    /// byte is what a CPU limit should show), with `resources` under spec.
    static func chainFile(
        _ name: String, in directory: URL, subnet: Int, client: String, server: String, resources: String, suffix: String
    ) throws -> URL {
        let url = directory.appendingPathComponent("\(name).yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: \(name) }
        spec:
          resources: \(resources)
          ports:
            - { name: a, type: tap, ifname: nfvti\(subnet)x\(suffix), namespace: \(client), address: 10.226.\(subnet).1/24, offloads: false }
            - { name: b, type: tap, ifname: nfvto\(subnet)x\(suffix), namespace: \(server), address: 10.226.\(subnet).2/24, offloads: false }
          stages:
            - { name: pass, vnf: pass-through }
        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func status(of pid: pid_t) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/status", encoding: .utf8) }
    }

    static func field(_ name: String, in status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map {
            $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }
    }

    static func read(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: cgroups, TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func aChainThatDoesNotFitItsMemoryIsRefusedAndOneThatFitsRunsInItsCgroup() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let (client, server) = ("nfvt-imc\(suffix)", "nfvt-ims\(suffix)")
        let name = "memory-\(suffix)"
        defer {
            _ = try? daemon.orch(["undeploy", name, "--force"])
            for namespace in [client, server] { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
            ChainCgroup.remove(chain: name)
            daemon.remove()
        }
        // 1 worker: 2048 buffers of 10 KiB (20 MiB) and the runtime do not fit in 16 MiB.
        let tight = try Self.chainFile(
            name, in: daemon.directory, subnet: 1, client: client, server: server, resources: "{ memory: 16Mi }",
            suffix: suffix)
        let refused = try daemon.orch(["deploy", tight.path, "--wait"])
        #expect(refused.status != 0)
        #expect(
            refused.standardError.contains("\(tight.path):5:14: spec.resources.memory: chain \(name) reserves"),
            "\(refused.standardError)")
        #expect(refused.standardError.contains("packet pool 20.0 MiB"), "\(refused.standardError)")
        #expect(refused.standardError.contains("raise spec.resources.memory to at least"), "\(refused.standardError)")
        #expect(!(try daemon.orch(["list"]).standardOutput.contains(name)), "nothing was recorded")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"), "nothing was plumbed")
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/nfv/\(name)"), "no cgroup was made")
        // The data plane refuses the same on its own, before it makes anything.
        let standalone = try CommandRunner.run("nfv-dataplane", [tight.path, "--duration", "1"])
        #expect(standalone.status == 3, "\(standalone)")
        #expect(standalone.standardError.contains("spec.resources.memory: chain \(name) reserves"), "\(standalone.standardError)")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"))

        // Enough memory: it runs in its own cgroup with the limits, and fewer privileges.
        let fits = try Self.chainFile(
            name, in: daemon.directory, subnet: 1, client: client, server: server, resources: "{ cpus: 0.75, memory: 96Mi, cpuSet: [1] }",
            suffix: suffix)
        let deployed = try daemon.orch(["deploy", fits.path, "--wait"])
        try #require(deployed.status == 0, "\(deployed)")
        let pid = try #require(
            ProcessSpawner.running(executable: "nfv-dataplane", marker: daemon.directory.appendingPathComponent("run").path + "/\(name).ctl")
                .first)
        let membership = Self.read("/proc/\(pid)/cgroup")
        for controller in ["cpu", "cpuset", "memory"] {
            #expect(membership.contains(":\(controller):/nfv/\(name)"), "\(membership)")
        }
        #expect(Self.read("/sys/fs/cgroup/cpu/nfv/\(name)/cpu.cfs_quota_us") == "18750")
        #expect(Self.read("/sys/fs/cgroup/cpu/nfv/\(name)/cpu.cfs_period_us") == "25000")
        #expect(Self.read("/sys/fs/cgroup/cpu/nfv/\(name)/cpu.shares") == "768")
        #expect(Self.read("/sys/fs/cgroup/cpuset/nfv/\(name)/cpuset.cpus") == "1")
        #expect(Self.read("/sys/fs/cgroup/memory/nfv/\(name)/memory.limit_in_bytes") == "\(96 << 20)")
        // Every thread (workers, control socket) has no_new_privs and only the kept capabilities.
        let threads = Self.status(of: pid)
        #expect(threads.count >= 2)
        for status in threads {
            #expect(Self.field("NoNewPrivs", in: status) == "1")
            #expect(Self.field("CapEff", in: status).flatMap { UInt64($0, radix: 16) } == DataplanePrivileges.keptMask)
            #expect(Self.field("CapBnd", in: status).flatMap { UInt64($0, radix: 16) } == DataplanePrivileges.keptMask)
        }
        #expect(DataplanePrivileges.keptMask == 1 << 12 | 1 << 13 | 1 << 21)
        let ping = try HostCommand.run(["ip", "netns", "exec", client, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.226.1.2"])
        #expect(ping.status == 0, "it forwards: \(ping.output)")
        // The operator sees the limits and what the cgroup counts.
        let status = try daemon.orch(["status", name]).standardOutput
        #expect(status.contains("resources:  cpus 0.75, memory 96Mi, cpuSet 1; memory used "), "\(status)")
        #expect(status.contains(" of 96.0 MiB; CPU share used up in "), "\(status)")
        // Killed (SIGKILL: no clean exit), the data plane is started again by the daemon in the
        // chain's cgroup, with its limits.
        kill(pid, SIGKILL)
        var restarted: pid_t?
        for _ in 0..<100 where restarted == nil {
            usleep(100_000)
            restarted = ProcessSpawner.running(
                executable: "nfv-dataplane", marker: daemon.directory.appendingPathComponent("run").path + "/\(name).ctl"
            ).first { $0 != pid }
        }
        let again = try #require(restarted, "the daemon restarts a killed data plane")
        for _ in 0..<50 where !Self.read("/proc/\(again)/cgroup").contains(":memory:/nfv/\(name)") { usleep(100_000) }
        #expect(Self.read("/proc/\(again)/cgroup").contains(":memory:/nfv/\(name)"), "the new one is in the chain's cgroup")
        #expect(Self.read("/sys/fs/cgroup/memory/nfv/\(name)/memory.limit_in_bytes") == "\(96 << 20)")
        #expect(try daemon.orch(["undeploy", name]).status == 0)
        // The daemon notices the exit within its 50 ms look and removes what is left.
        // (Another suite's chain may hold the nfv level meanwhile: then it stays.)
        func othersInTheNFVLevel() -> [String] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/cpu/nfv")) ?? []
            return entries.filter { $0 != name && FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cpu/nfv/\($0)/cgroup.procs") }
        }
        for _ in 0..<40 where FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cpu/nfv/\(name)") { usleep(50_000) }
        usleep(100_000)
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/nfv/\(name)"), "its cgroup went with it")
        #expect(
            !FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cpu/nfv") || !othersInTheNFVLevel().isEmpty,
            "and the nfv level, empty, too")
    }
}
