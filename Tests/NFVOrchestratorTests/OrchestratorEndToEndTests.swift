import Foundation
import NFVTestSupport
import Testing

/// The orchestrator end to end, through the real `nfv-orch` binary and its own daemon (private
/// state directory and socket): deploy a chain between two namespaces, traffic flows; deploy
/// again (no-op); change a firewall rule under a running TCP transfer (applied live: no lost
/// segment); a change that needs a restart is refused without --allow-restart; kill -9 the
/// data plane (back within 2 s); kill the daemon (list reads the recorded state without
/// starting one); start the daemon (the chain is still listed and its data plane adopted);
/// undeploy (nothing left).
@Suite(.serialized) struct OrchestratorEndToEndTests {
    /// A daemon of the test's own: state, socket and run folder in a temporary directory.
    struct PrivateDaemon {
        let directory: URL
        var state: String { directory.appendingPathComponent("state").path }
        var socketPath: String { directory.appendingPathComponent("run/orch.sock").path }
        var environment: [String: String] {
            ["NFV_ORCH_STATE_DIR": state, "NFV_ORCH_SOCKET": socketPath, "NFV_ORCH_RUN_DIR": directory.appendingPathComponent("run").path]
        }

        init() throws { directory = try Fixtures.temporaryDirectory() }

        /// Runs nfv-orch against this daemon (which `deploy`, `list`... start when needed).
        func orch(_ arguments: [String]) throws -> CommandResult {
            try CommandRunner.run("nfv-orch", arguments, environment: environment)
        }

        /// Whether `nfv-orch ARGUMENTS` (a command that keeps running: --follow, --watch),
        /// writing into a file as `> file` would, has written `text` there within `seconds`;
        /// the command is stopped either way.
        func keepsWriting(_ arguments: [String], text: String, seconds: Double) throws -> Bool {
            let file = directory.appendingPathComponent("follow-\(arguments.joined(separator: "-")).out")
            FileManager.default.createFile(atPath: file.path, contents: nil)
            let process = Process()
            process.executableURL = Fixtures.executablesDirectory.appendingPathComponent("nfv-orch")
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            process.standardOutput = try FileHandle(forWritingTo: file)
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer {
                process.terminate()
                process.waitUntilExit()
            }
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if (try? String(contentsOf: file, encoding: .utf8))?.contains(text) == true { return true }
                usleep(50_000)
            }
            return false
        }

        var pid: pid_t? {
            (try? String(contentsOfFile: state + "/daemon.pid", encoding: .utf8)).flatMap {
                pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }

        /// Writes chain `name` into the daemon's folder (as `file`, default NAME.yaml): each of
        /// `ports` and `stages` is one flow mapping's contents (`name: a, type: tap, ...`),
        /// `extra` lines go under `spec:`. Returns the file.
        func writeChain(_ name: String, ports: [String], stages: [String], extra: [String] = [], file: String? = nil) throws -> URL {
            let url = directory.appendingPathComponent(file ?? "\(name).yaml")
            let lines =
                ["apiVersion: nfv/v1", "kind: Chain", "metadata: { name: \(name) }", "spec:", "  ports:"]
                + ports.map { "    - { \($0) }" } + ["  stages:"] + stages.map { "    - { \($0) }" } + extra.map { "  " + $0 }
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url
        }

        /// The edge gateway (firewall -> router -> NAT with the repository's configurations)
        /// between namespace `lan` (10.0.1.10/24 via 10.0.1.1, on TAP PREFIXi) and `wan`
        /// (198.51.100.1/30, on TAP PREFIXo): the NAT's pool address is 198.51.100.2.
        func writeEdgeGateway(_ name: String, lan: String, wan: String, tapPrefix: String, extra: [String] = []) throws -> URL {
            let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
            return try writeChain(
                name,
                ports: [
                    "name: inside, type: tap, ifname: \(tapPrefix)i, namespace: \(lan), address: 10.0.1.10/24, gateway: 10.0.1.1",
                    "name: outside, type: tap, ifname: \(tapPrefix)o, namespace: \(wan), address: 198.51.100.1/30",
                ],
                stages: [
                    "name: fw, vnf: firewall, config: \(configs)/edge-firewall.yaml",
                    "name: router, vnf: router, config: \(configs)/edge-router.yaml",
                    "name: nat, vnf: nat, config: \(configs)/edge-nat.yaml",
                ], extra: extra)
        }

        /// A learning switch (one `normal` flow) between TAPs `PREFIXa` in namespace `left`
        /// (`SUBNET.1/24`) and `PREFIXb` in `right` (`SUBNET.2/24`), as chain `name`: its
        /// SwitchConfig is switch.yaml and the chain chain.yaml in the daemon's folder.
        func writeSwitchChain(_ name: String, left: String, right: String, tapPrefix: String, subnet: String) throws -> URL {
            try """
            apiVersion: nfv/v1
            kind: SwitchConfig
            metadata: { name: \(name)-switch }
            spec:
              ports:
                - { port: a }
                - { port: b }
              flows:
                - "priority=0,actions=normal"
            """.write(to: directory.appendingPathComponent("switch.yaml"), atomically: true, encoding: .utf8)
            return try writeChain(
                name,
                ports: [
                    "name: a, type: tap, ifname: \(tapPrefix)a, namespace: \(left), address: \(subnet).1/24",
                    "name: b, type: tap, ifname: \(tapPrefix)b, namespace: \(right), address: \(subnet).2/24",
                ],
                stages: ["name: sw, vnf: switch, config: switch.yaml"], file: "chain.yaml")
        }

        /// Kills the daemon (if one started) and removes the folder.
        func remove() {
            if let pid { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func deployUpdateHealRestartUndeploy() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (client, server) = ("nfvt-oc\(suffix)", "nfvt-os\(suffix)")
        let (inside, outside) = ("nfvtoi\(suffix)", "nfvtoo\(suffix)")
        let name = "e2e-\(suffix)"
        let daemon = try PrivateDaemon()
        let directory = daemon.directory
        func orch(_ arguments: String...) throws -> CommandResult { try daemon.orch(arguments) }
        func daemonPID() -> pid_t? { daemon.pid }
        func dataplanePID() throws -> pid_t? {
            let status = try orch("status", name).standardOutput
            guard let range = status.range(of: "data plane pid ") else { return nil }
            return pid_t(status[range.upperBound...].prefix { $0.isNumber })
        }
        var processes: [Process] = []
        defer {
            for process in processes { HostCommand.kill(process) }
            _ = try? orch("undeploy", name, "--force")
            daemon.remove()
        }

        let original = try String(contentsOf: Fixtures.root.appendingPathComponent("vnf-configs/edge-firewall.yaml"), encoding: .utf8)
        let firewallFile = directory.appendingPathComponent("firewall.yaml")
        try original.write(to: firewallFile, atomically: true, encoding: .utf8)
        let chainFile = directory.appendingPathComponent("chain.yaml")
        func writeChain(mtu: Int) throws {
            try """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: \(name) }
            spec:
              ports:
                - { name: inside,  type: tap, ifname: \(inside),  namespace: \(client), address: 10.222.0.1/24, mtu: \(mtu) }
                - { name: outside, type: tap, ifname: \(outside), namespace: \(server), address: 10.222.0.2/24, mtu: \(mtu) }
              stages:
                - { name: fw, vnf: firewall, config: firewall.yaml }
            """.write(to: chainFile, atomically: true, encoding: .utf8)
        }
        try writeChain(mtu: 1500)
        func ping() throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", client, "ping", "-c", "1", "-W", "1", "10.222.0.2"]).status == 0
        }

        // Plan, then deploy (the daemon starts on its own), traffic flows.
        let firstPlan = try orch("plan", chainFile.path)
        #expect(firstPlan.status == 2 && firstPlan.standardOutput.contains("create"), "\(firstPlan)")
        let deployed = try orch("deploy", chainFile.path, "--wait")
        // The state holds every chain's rules and the event log: root's alone.
        for path in try [daemon.state] + FileManager.default.subpathsOfDirectory(atPath: daemon.state).map({ daemon.state + "/" + $0 }) {
            // SQLite's journal comes and goes with each transaction: one gone since the listing is skipped.
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                #expect(path.hasSuffix("-journal"), "\(path) vanished")
                continue
            }
            let mode = try #require(attributes[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(path) is \(String(mode, radix: 8)), open to others")
        }
        #expect(deployed.status == 0 && deployed.standardOutput.contains("created"), "\(deployed)")
        #expect(try ping(), "traffic passes the deployed chain")

        // A broken file: plan and deploy say where, exit 1, and change nothing.
        let broken = directory.appendingPathComponent("broken.yaml")
        try String(contentsOf: chainFile, encoding: .utf8).replacingOccurrences(of: "vnf: firewall", with: "vnf: firewal")
            .write(to: broken, atomically: true, encoding: .utf8)
        let brokenPlan = try orch("plan", broken.path)
        #expect(
            brokenPlan.status == 1 && brokenPlan.standardError.contains("broken.yaml:9:")
                && brokenPlan.standardError.contains("did you mean \"firewall\"?"), "\(brokenPlan)")
        #expect(try orch("deploy", broken.path).status == 1)

        // The same file again: nothing to do.
        let again = try orch("deploy", chainFile.path)
        #expect(again.standardOutput.contains("unchanged"), "\(again)")
        #expect(try orch("plan", chainFile.path).status == 0)
        let pidBefore = try dataplanePID()
        #expect(pidBefore != nil)

        // A rule change under a running transfer: applied live, nothing lost.
        let lostBefore = try TCPCounters.lostSegments(sender: client, receiver: server)
        let transfer = try PacedTransfer(client: client, server: server, address: "10.222.0.2", port: 8000)
        processes += [transfer.receiver, transfer.sender]
        usleep(800_000)
        try original.replacingOccurrences(
            of: "    - { name: allow-web,",
            with: "    - { name: close-8000,     match: { proto: tcp, dstPort: 8000 }, action: drop }\n    - { name: allow-web,"
        )
        .write(to: firewallFile, atomically: true, encoding: .utf8)
        let livePlan = try orch("plan", chainFile.path)
        #expect(
            livePlan.status == 2 && livePlan.standardOutput.contains("update-in-place")
                && livePlan.standardOutput.contains("rules added: close-8000"), "\(livePlan)")
        let update = try orch("deploy", chainFile.path)
        #expect(update.status == 0 && update.standardOutput.contains("updated in place"), "\(update)")
        #expect(transfer.sender.isRunning, "the transfer was under way during the update")
        #expect(transfer.finish().contains("intact"))
        #expect(try TCPCounters.lostSegments(sender: client, receiver: server) == lostBefore, "no segment lost to the update")
        #expect(try dataplanePID() == pidBefore, "the same data plane: no restart")
        let stats = try orch("stats", name)
        #expect(stats.standardOutput.contains("close-8000"), "\(stats.standardOutput)")

        // A change that needs a restart is named and refused without --allow-restart.
        try writeChain(mtu: 1400)
        let restartPlan = try orch("plan", chainFile.path)
        #expect(restartPlan.status == 2 && restartPlan.standardOutput.contains("update-with-restart"), "\(restartPlan)")
        let refused = try orch("deploy", chainFile.path)
        #expect(refused.status == 1 && refused.standardError.contains("--allow-restart"), "\(refused)")
        #expect(try dataplanePID() == pidBefore, "a refused deploy changes nothing")
        let restarted = try orch("deploy", chainFile.path, "--allow-restart", "--wait")
        #expect(restarted.status == 0 && restarted.standardOutput.contains("restarted"), "\(restarted)")
        #expect(try dataplanePID() != pidBefore)
        let mtu = try HostCommand.run(["ip", "netns", "exec", client, "cat", "/sys/class/net/\(inside)/mtu"])
        #expect(mtu.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1400", "the new MTU is plumbed")
        #expect(try ping())

        // kill -9: the daemon brings the chain back within 2 s.
        let victim = try #require(try dataplanePID())
        kill(victim, SIGKILL)
        let killedAt = Date()
        var restored = false
        while Date().timeIntervalSince(killedAt) < 2 {
            if try ping() {
                restored = true
                break
            }
            usleep(50_000)
        }
        let took = Date().timeIntervalSince(killedAt)
        #expect(restored, "traffic back within 2 s of the kill (took \(took) s)")
        #expect(try dataplanePID() != victim)
        #expect(try orch("events").standardOutput.contains("SIGKILL"))
        // Into a file (or a pipe), --follow and --watch write each record at once.
        #expect(try daemon.keepsWriting(["events", "--follow"], text: "SIGKILL", seconds: 5), "events --follow > file")
        #expect(try daemon.keepsWriting(["stats", "--watch", name], text: "STAGE", seconds: 5), "stats --watch > file")

        // Restart the daemon: the chain is still listed and its data plane adopted.
        let running = try dataplanePID()
        let daemonProcess = try #require(daemonPID())
        kill(daemonProcess, SIGKILL)
        usleep(200_000)
        // Without a daemon, list reads the recorded state (and says so); it starts none.
        let offline = try orch("list")
        #expect(offline.standardError.contains("no daemon runs") && offline.standardOutput.contains(name), "\(offline)")
        #expect(try orch("daemon", "status").status == 3, "list started no daemon")
        #expect(try orch("daemon", "start").status == 0)
        let listed = try orch("list")
        #expect(listed.standardOutput.contains(name) && listed.standardOutput.contains("yes"), "\(listed)")
        #expect(try dataplanePID() == running, "the running data plane was adopted, not restarted")
        #expect(try ping())

        // Undeploy: nothing left.
        let removed = try orch("undeploy", name)
        #expect(removed.status == 0, "\(removed)")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"))
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(server)"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(inside)"))
        if let running {
            #expect(kill(running, 0) != 0 || (try? String(contentsOfFile: "/proc/\(running)/stat", encoding: .utf8))?.contains(") Z") == true)
        }
        #expect(!(try orch("list").standardOutput.contains(name)))
    }

    /// spec.restart: "never" leaves a killed chain down (until the next deploy brings it back);
    /// a data plane that keeps failing shows each backoff in status and ends in crash-loop after
    /// `limit` starts, with its error.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(2)))
    func restartPolicyAndCrashLoop() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try PrivateDaemon()
        let directory = daemon.directory
        func orch(_ arguments: String...) throws -> CommandResult { try daemon.orch(arguments) }
        defer {
            _ = try? orch("undeploy", "never-\(suffix)", "--force")
            _ = try? orch("undeploy", "broken-\(suffix)", "--force")
            daemon.remove()
        }
        let never = directory.appendingPathComponent("never.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: never-\(suffix) }
        spec:
          ports:
            - { name: a, type: tap, ifname: nfvtpa\(suffix), namespace: nfvt-pa\(suffix), address: 10.223.0.1/24 }
            - { name: b, type: tap, ifname: nfvtpb\(suffix), namespace: nfvt-pb\(suffix), address: 10.223.0.2/24 }
          stages:
            - { name: pass, vnf: pass-through }
          restart: { policy: never }
        """.write(to: never, atomically: true, encoding: .utf8)
        #expect(try orch("deploy", never.path, "--wait").status == 0)
        // A second chain that claims one of its TAPs is refused, naming the owner.
        let thief = directory.appendingPathComponent("thief.yaml")
        try String(contentsOf: never, encoding: .utf8).replacingOccurrences(of: "name: never-\(suffix)", with: "name: thief-\(suffix)")
            .replacingOccurrences(of: "ifname: nfvtpb\(suffix)", with: "ifname: nfvtpt\(suffix)")
            .write(to: thief, atomically: true, encoding: .utf8)
        let stolen = try orch("deploy", thief.path)
        #expect(
            stolen.status == 1 && stolen.standardError.contains("TAP nfvtpa\(suffix) belongs to deployed chain never-\(suffix)"),
            "\(stolen)")
        let status = try orch("status", "never-\(suffix)").standardOutput
        let pid = try #require(status.range(of: "data plane pid ").map { pid_t(status[$0.upperBound...].prefix { $0.isNumber })! })
        kill(pid, SIGKILL)
        usleep(1_000_000)
        let down = try orch("status", "never-\(suffix)").standardOutput
        #expect(down.contains("actual:     exited") && down.contains("no data plane running"), "\(down)")
        #expect(try orch("events").standardOutput.contains("restart policy never"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/nfvtpa\(suffix)"), "a killed data plane's TAPs go with it")
        let again = try orch("deploy", never.path, "--wait")
        #expect(again.standardOutput.contains("restarted from exited"), "\(again)")
        #expect(try orch("status", "never-\(suffix)").standardOutput.contains("actual:     running"))
        #expect(try orch("undeploy", "never-\(suffix)").status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/nfvt-pa\(suffix)"))

        // "lo" is not a TAP: every start fails; the second start within a minute is the limit.
        let broken = directory.appendingPathComponent("broken.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: broken-\(suffix) }
        spec:
          ports:
            - { name: a, type: tap, ifname: lo }
            - { name: b, type: tap, ifname: nfvtpc\(suffix) }
          stages:
            - { name: pass, vnf: pass-through }
          restart: { limit: 6 }
        """.write(to: broken, atomically: true, encoding: .utf8)
        let failed = try orch("deploy", broken.path, "--wait")
        #expect(failed.status == 1 && failed.standardError.contains("did not come up"), "\(failed)")
        // Between starts, status says a backoff runs (0.1 s doubling: 0.8 s and 1.6 s last).
        var looped = ""
        var backoffs: Set<String> = []
        for _ in 0..<160 where !looped.contains("crash-loop") {
            usleep(50_000)
            looped = try orch("status", "broken-\(suffix)").standardOutput
            if let range = looped.range(of: "(backoff ") { backoffs.insert(String(looped[range.upperBound...].prefix { $0 != ")" })) }
        }
        #expect(backoffs.contains("0.8 s") || backoffs.contains("1.6 s"), "status shows the backoff: \(backoffs)")
        #expect(looped.contains("actual:     crash-loop"), "\(looped)")
        #expect(looped.contains("TAP lo"), "the last error is the data plane's own: \(looped)")
        #expect(try orch("undeploy", "broken-\(suffix)", "--force").status == 0)
        #expect(!(try orch("list").standardOutput.contains("broken-")))
    }

    /// The daemon's socket refuses a user that is not root.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root to switch to another user"), .timeLimit(.minutes(2)))
    func theSocketRefusesNonRootUsers() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let daemon = try PrivateDaemon()
        let directory = daemon.directory
        let (state, socketPath) = (daemon.state, daemon.socketPath)
        defer { daemon.remove() }
        #expect(try daemon.orch(["daemon", "start"]).status == 0)
        let asRoot = try daemon.orch(["list"])
        #expect(asRoot.status == 0, "root may: \(asRoot)")
        let attributes = try FileManager.default.attributesOfItem(atPath: socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // Let nobody reach the socket's folder, so only the socket's own mode decides.
        chmod(directory.path, 0o755)
        chmod(directory.appendingPathComponent("run").path, 0o755)
        // A copy nobody may run (the build folder may sit in a folder only root can enter).
        let binary = directory.appendingPathComponent("nfv-orch").path
        try FileManager.default.copyItem(atPath: Fixtures.executablesDirectory.appendingPathComponent("nfv-orch").path, toPath: binary)
        chmod(binary, 0o755)
        let asNobody = try HostCommand.run([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "env", "NFV_ORCH_STATE_DIR=\(state)", "NFV_ORCH_SOCKET=\(socketPath)",
            "NFV_ORCH_RUN_DIR=\(directory.appendingPathComponent("run").path)", binary, "list",
        ])
        #expect(asNobody.status != 0 && asNobody.output.contains("permission denied"), "\(asNobody.output)")
        // Without a daemon, list reads the state, which is root's: the real cause, not a
        // failed attempt to start a daemon.
        #expect(try daemon.orch(["daemon", "stop"]).status == 0)
        chmod(directory.path, 0o755)
        let offline = try HostCommand.run([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "env", "NFV_ORCH_STATE_DIR=\(state)", "NFV_ORCH_SOCKET=\(socketPath)",
            "NFV_ORCH_RUN_DIR=\(directory.appendingPathComponent("run").path)", binary, "list",
        ])
        #expect(
            offline.status != 0 && offline.output.contains("cannot read the orchestrator's state in \(state): permission denied"),
            "\(offline.output)")
    }
}
