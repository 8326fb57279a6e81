import Foundation
import NFVTestSupport
import Testing

/// The daemon killed at the worst moments, through the real binaries: the instant its data
/// plane process appears (before the daemon can record it, and before the data plane is ready).
/// The next daemon must end up with exactly one data plane for the chain, shown running, and
/// `undeploy --force` must leave no process, namespace or TAP.
@Suite(.serialized) struct DaemonFaultTests {
    /// The processes whose command line holds `marker`, among those newer than `after`.
    static func processes(with marker: String, after: pid_t) -> [pid_t] {
        guard let stream = opendir("/proc") else { return [] }
        defer { closedir(stream) }
        var found: [pid_t] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), pid > after else { continue }
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            if data.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == marker }) { found.append(pid) }
        }
        return found.sorted()
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func daemonKilledTheMomentItsDataPlaneAppears() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        for attempt in 0..<3 {
            let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
            let name = "fault-\(attempt)-\(suffix)"
            let (client, server) = ("nfvt-fc\(attempt)\(suffix)", "nfvt-fs\(attempt)\(suffix)")
            let (inside, outside) = ("nfvtfi\(attempt)\(suffix)", "nfvtfo\(attempt)\(suffix)")
            func orch(_ arguments: String...) throws -> CommandResult { try daemon.orch(arguments) }
            let marker = daemon.directory.appendingPathComponent("run/\(name).ctl").path
            defer {
                _ = try? orch("undeploy", name, "--force")
                for pid in Self.processes(with: marker, after: 0) { kill(pid, SIGKILL) }
                for namespace in [client, server] {
                    _ = try? HostCommand.run(["ip", "netns", "del", namespace])
                    unlink("/run/nfv-dataplane/netns-\(namespace)")
                }
                daemon.remove()
            }
            let chainFile = try daemon.writeChain(
                name,
                ports: [
                    "name: a, type: tap, ifname: \(inside), namespace: \(client), address: 10.225.\(attempt).1/24",
                    "name: b, type: tap, ifname: \(outside), namespace: \(server), address: 10.225.\(attempt).2/24",
                ],
                stages: ["name: pass, vnf: pass-through"], file: "chain.yaml")

            // Start the daemon first, so that its pid is known before the deploy.
            #expect(try orch("daemon", "start").status == 0)
            let daemonPID = try #require(daemon.pid)
            let deploy = Process()
            deploy.executableURL = Fixtures.executablesDirectory.appendingPathComponent("nfv-orch")
            deploy.arguments = ["deploy", chainFile.path, "--wait"]
            deploy.environment = ProcessInfo.processInfo.environment.merging(daemon.environment) { _, new in new }
            deploy.standardOutput = FileHandle.nullDevice
            deploy.standardError = FileHandle.nullDevice
            try deploy.run()
            var appeared: [pid_t] = []
            let deadline = Date().addingTimeInterval(15)
            while appeared.isEmpty && Date() < deadline { appeared = Self.processes(with: marker, after: daemonPID) }
            kill(daemonPID, SIGKILL)
            try #require(!appeared.isEmpty, "the data plane appeared")
            deploy.waitUntilExit()

            // The next daemon finds it: one data plane, running.
            #expect(try orch("daemon", "start").status == 0)
            var status = ""
            for _ in 0..<100 where !status.contains("actual:     running") {
                status = try orch("status", name).standardOutput
                usleep(100_000)
            }
            #expect(status.contains("actual:     running"), "attempt \(attempt): \(status)")
            #expect(Self.processes(with: marker, after: 0) == appeared, "attempt \(attempt): exactly the first data plane runs")
            #expect(try orch("list").standardOutput.contains(name))
            let ping = try HostCommand.run(["ip", "netns", "exec", client, "ping", "-c", "1", "-W", "2", "10.225.\(attempt).2"])
            #expect(ping.status == 0, "attempt \(attempt): the adopted data plane forwards")

            let removed = try orch("undeploy", name, "--force")
            #expect(removed.status == 0, "\(removed)")
            #expect(Self.processes(with: marker, after: 0).isEmpty, "attempt \(attempt): no data plane left")
            #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"))
            #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(server)"))
            #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(outside)"))
        }
    }
}
