import Foundation
import NFVNetlink
import NFVTestSupport
import Testing

/// `nfv-orch migrate` as the issue asks it: a chain of firewall -> router -> NAT moves to a new
/// data-plane process while a 200 MB TCP transfer runs through it and 1,000 idle connections
/// from the same client to the same server are open. The transfer arrives whole (SHA-256) with
/// no segment lost (`TCPCounters.lostSegments`: retransmissions the receiver did not D-SACK as
/// duplicates), every idle connection answers afterwards, the new process runs the chain (the
/// old one is gone) and frames were held during the move (it happened under load). On one
/// worker and on two (the successor steers every flow to the worker holding its entries: it
/// adopts the predecessor's hash seed).
@Suite(.serialized) struct MigrationTests {
    static var helper: String { Fixtures.root.appendingPathComponent("Tests/Fixtures/many_connections.py").path }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(4)), arguments: [1, 2])
    func aChainMovesUnderABulkTransferAndAThousandIdleConnections(workers: Int) throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let (lan, wan) = ("nfvt-mgl\(suffix)", "nfvt-mgw\(suffix)")
        let name = "migrate-\(suffix)"
        var processes: [Process] = []
        defer {
            for process in processes { HostCommand.kill(process) }
            _ = try? daemon.orch(["undeploy", name, "--force"])
            for namespace in [lan, wan] { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
            daemon.remove()
        }
        for namespace in [lan, wan] { _ = try HostCommand.run(["ip", "netns", "add", namespace]) }
        let file = try daemon.writeEdgeGateway(name, lan: lan, wan: wan, tapPrefix: "nfvmg\(suffix)", extra: ["workers: \(workers)"])
        try #require(try daemon.orch(["deploy", file.path, "--wait"]).status == 0)
        func dataplanePID() throws -> pid_t? {
            let status = try daemon.orch(["status", name]).standardOutput
            guard let range = status.range(of: "data plane pid ") else { return nil }
            return pid_t(status[range.upperBound...].prefix { $0.isNumber })
        }
        let before = try #require(try dataplanePID())

        // 1,000 connections from the LAN host to one server port, used once, then left idle.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["ip", "netns", "exec", wan, "python3", Self.helper, "server", "198.51.100.1", "8001"]
        let serverOutput = Pipe()
        server.standardOutput = serverOutput
        server.standardError = FileHandle.nullDevice
        try server.run()
        processes.append(server)
        _ = serverOutput.fileHandleForReading.availableData  // "listening"
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["ip", "netns", "exec", lan, "python3", Self.helper, "client", "198.51.100.1", "8001", "1000", "hold"]
        let clientInput = Pipe()
        let clientOutput = Pipe()
        client.standardInput = clientInput
        client.standardOutput = clientOutput
        try client.run()
        processes.append(client)
        var firstRound = ""
        while !firstRound.contains("\n") {
            let data = clientOutput.fileHandleForReading.availableData
            if data.isEmpty { break }
            firstRound += String(decoding: data, as: UTF8.self)
        }
        try #require(firstRound.hasPrefix("first 1000"), "the 1,000 connections opened and answered: \(firstRound)")

        // The bulk transfer, and the move once it is under way.
        let lostBefore = try TCPCounters.lostSegments(sender: lan, receiver: wan)
        // 64 KB writes 0.5 ms apart: about 2 s for the 200 MB (unpaced, this path takes them in
        // a fifth of a second, too short to move the chain under).
        let transfer = try PacedTransfer(client: lan, server: wan, address: "198.51.100.1", port: 8002, megabytes: 200, pause: 0.0005)
        processes += [transfer.receiver, transfer.sender]
        // Under way once the connection is up (the sender makes its 200 MB first), and a little more.
        for _ in 0..<100 {
            let established = try HostCommand.run(["ip", "netns", "exec", lan, "ss", "-Htn", "state", "established", "dport", "= :8002"])
            if !established.output.isEmpty { break }
            usleep(50_000)
        }
        usleep(300_000)
        let underWay = transfer.sender.isRunning
        let moved = try daemon.orch(["migrate", name])
        let stillRunning = transfer.sender.isRunning
        #expect(moved.status == 0, "\(moved)")
        print("migration on \(workers) worker(s): \(moved.standardOutput)", terminator: "")
        let output = transfer.finish()
        #expect(underWay && stillRunning, "the transfer was under way when the move began and ended")
        #expect(output.contains("intact"), "the 200 MB arrived whole: \(output)")
        let lost = try TCPCounters.lostSegments(sender: lan, receiver: wan) - lostBefore
        #expect(lost == 0, "no segment lost to the move: \(lost)")

        // The idle connections, each used again through the new data plane.
        clientInput.fileHandleForWriting.write(Data("go\n".utf8))
        client.waitUntilExit()
        let report = String(decoding: clientOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        print("migration: idle connections afterwards: \(report)", terminator: "")
        #expect(client.terminationStatus == 0 && report.contains("\"second\": 1000"), "every idle connection still works: \(report)")

        // A new process runs the chain; the old one ended; frames were held during the move.
        let statusAfter = try daemon.orch(["status", name]).standardOutput
        let eventsAfter = try daemon.orch(["events", name]).standardOutput
        let logAfter = try daemon.orch(["logs", name]).standardOutput.suffix(3000)
        let after = try #require(try dataplanePID(), "\(statusAfter)\n\(eventsAfter)\n\(logAfter)")
        #expect(after != before && kill(before, 0) != 0, "pid \(before) handed over to \(after)")
        #expect(moved.standardOutput.contains("moved to data plane pid \(after)"), "\(moved)")
        let held = moved.standardOutput.range(of: #"(\d+) frames held"#, options: .regularExpression).map {
            Int(moved.standardOutput[$0].prefix { $0.isNumber }) ?? 0
        }
        #expect((held ?? 0) > 0, "traffic arrived during the move and was held: \(moved.standardOutput)")
        #expect(moved.standardOutput.contains(", 0 dropped"), "\(moved)")
        let entries = moved.standardOutput.range(of: #"(\d+) state entries"#, options: .regularExpression).map {
            Int(moved.standardOutput[$0].prefix { $0.isNumber }) ?? 0
        }
        #expect((entries ?? 0) >= 2_002, "1,001 connections and their 1,001 mappings moved: \(moved.standardOutput)")
        let events = try daemon.orch(["events", name]).standardOutput
        #expect(events.contains("migrated"), "\(events)")
        #expect(try daemon.orch(["status", name]).standardOutput.contains("running"))
    }

    /// A change of `spec.resources` is deployed by migration: a new data plane under the new
    /// CPU limit takes the chain over while a transfer runs, which arrives whole; the cgroup
    /// has the new quota and, once the old data plane ended, the chain's own memory limit again.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices, namespaces and cgroups"), .timeLimit(.minutes(3)))
    func aChangeOfResourcesMovesTheChainWithItsConnections() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let (lan, wan) = ("nfvt-mrl\(suffix)", "nfvt-mrw\(suffix)")
        let name = "resize-\(suffix)"
        defer {
            _ = try? daemon.orch(["undeploy", name, "--force"])
            for namespace in [lan, wan] { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
            daemon.remove()
        }
        for namespace in [lan, wan] { _ = try HostCommand.run(["ip", "netns", "add", namespace]) }
        func write(cpus: String) throws -> URL {
            try daemon.writeEdgeGateway(name, lan: lan, wan: wan, tapPrefix: "nfvmr\(suffix)", extra: ["resources: { cpus: \(cpus), memory: 1Gi }"])
        }
        try #require(try daemon.orch(["deploy", try write(cpus: "1").path, "--wait"]).status == 0)
        let status = { try daemon.orch(["status", name]).standardOutput }
        let before = try status()
        let transfer = try PacedTransfer(client: lan, server: wan, address: "198.51.100.1", port: 8000)
        defer { transfer.kill() }
        usleep(1_000_000)
        let file = try write(cpus: "0.5")
        let plan = try daemon.orch(["plan", file.path])
        #expect(plan.standardOutput.contains("update-with-migration") && plan.standardOutput.contains("resources: cpus 1.0"), "\(plan)")
        let deployed = try daemon.orch(["deploy", file.path])
        #expect(deployed.status == 0 && deployed.standardOutput.contains("updated by migration"), "\(deployed)")
        #expect(transfer.finish().contains("intact"), "the connection went on through the new data plane")
        let cgroup = "/sys/fs/cgroup/cpu/nfv/\(name)"
        #expect(IsolationTests.read(cgroup + "/cpu.cfs_quota_us") == "12500", "half of each 25 ms period")
        #expect(IsolationTests.read("/sys/fs/cgroup/memory/nfv/\(name)/memory.limit_in_bytes") == "1073741824", "the chain's own limit again")
        let after = try status()
        #expect(after.contains("cpus 0.5") && before.contains("cpus 1.0"), "\(before)\n\(after)")
        let pid = { (text: String) in text.range(of: "data plane pid ").map { pid_t(text[$0.upperBound...].prefix { $0.isNumber }) } }
        #expect(pid(before) != pid(after), "another data plane runs it")
    }

    /// A move that cannot happen leaves the running data plane forwarding: a successor with
    /// another worker count is refused before anything stops; successors killed at several
    /// moments of the exchange leave the chain forwarding in the old one. Then a real move
    /// hands the chain over, and the successor's exit removes what the chain made.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func aFailedMoveLeavesTheRunningDataPlaneForwarding() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let directory = try Fixtures.temporaryDirectory()
        let (client, server) = ("nfvt-mfc\(suffix)", "nfvt-mfs\(suffix)")
        let chain = "movefail-\(suffix)"
        var running: [StandaloneDataplane] = []
        defer {
            for dataplane in running { dataplane.stop() }
            for namespace in [client, server] {
                _ = try? HostCommand.run(["ip", "netns", "del", namespace])
                NamespaceMark(namespace: namespace).remove()  // left by a killed data plane, if one was
            }
            try? FileManager.default.removeItem(at: directory)
        }
        func chainFile(workers: Int) throws -> URL {
            let url = directory.appendingPathComponent("chain-\(workers).yaml")
            try """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: \(chain) }
            spec:
              workers: \(workers)
              ports:
                - { name: a, type: tap, ifname: nfvmfa\(suffix), namespace: \(client), address: 10.228.1.1/24 }
                - { name: b, type: tap, ifname: nfvmfb\(suffix), namespace: \(server), address: 10.228.1.2/24 }
              stages:
                - { name: pass, vnf: pass-through }
            """.write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        func ping() throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", client, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.228.1.2"]).status == 0
        }
        let first = try StandaloneDataplane(file: try chainFile(workers: 1), chain: chain, directory: directory)
        running.append(first)
        #expect(try ping())

        let refused = try CommandRunner.run(
            "nfv-dataplane", [try chainFile(workers: 2).path, "--take-over", first.control, "--control", directory.path + "/other.sock"])
        #expect(refused.status == 1 && refused.standardError.contains("refused") && refused.standardError.contains("needs a restart"), "\(refused)")
        #expect(try ping(), "the running data plane goes on after a refusal")

        // Successors killed at each step of the exchange (NFV_TAKEOVER_KILL_AT): holding the
        // queues, with the running data plane paused, with the state received.
        for point in ["queues", "paused", "state"] {
            let killed = try CommandRunner.run(
                "nfv-dataplane", [try chainFile(workers: 1).path, "--take-over", first.control, "--control", directory.path + "/killed.sock"],
                environment: ["NFV_TAKEOVER_KILL_AT": point])
            #expect(killed.status == 9 || killed.status == 137 || killed.status == -9, "killed at \(point): \(killed.status)")
            usleep(200_000)
            #expect(try first.process.isRunning && ping(), "still forwarding after a successor was killed at \(point)")
        }

        let second = try StandaloneDataplane(
            file: try chainFile(workers: 1), chain: chain, directory: directory, arguments: ["--take-over", first.control])
        running.append(second)
        for _ in 0..<100 where first.process.isRunning { usleep(50_000) }
        #expect(!first.process.isRunning, "the old data plane ended")
        #expect(try ping(), "the successor forwards")
        #expect(try second.command("migration").contains("\"predecessor\":\(first.pid)"))
        second.stop()
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"), "the successor's exit removed the namespaces the chain made")
    }

    /// A switch moves with its learnt stations and with the flows changed at run time: a drop
    /// flow added before the move is in force after it, and the move reports the stations; the
    /// chain's counters go on from where they were.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func aSwitchMovesWithItsFlowsAndStations() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let name = "moveswitch-\(suffix)"
        let (left, right) = ("nfvt-msl\(suffix)", "nfvt-msr\(suffix)")
        defer {
            _ = try? daemon.orch(["undeploy", name, "--force"])
            daemon.remove()
        }
        let chainFile = try daemon.writeSwitchChain(name, left: left, right: right, tapPrefix: "nfvtm\(suffix)", subnet: "10.229.0")
        func ping() throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", left, "ping", "-c", "1", "-W", "1", "10.229.0.2"]).status == 0
        }
        #expect(try daemon.orch(["deploy", chainFile.path, "--wait"]).status == 0)
        #expect(try ping(), "both hosts' stations learnt")
        #expect(try daemon.orch(["add-flow", name, "priority=200,icmp,actions=drop"]).status == 0)
        #expect(!(try ping()))

        /// Frames received on port a, as `nfv-orch stats` reports them.
        func received() throws -> Int {
            let text = try daemon.orch(["stats", name, "-o", "json"]).standardOutput
            let stats = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            let ports = stats?["ports"] as? [[String: Any]] ?? []
            return ports.first { $0["name"] as? String == "a" }?["rxPackets"] as? Int ?? -1
        }
        let countedBefore = try received()
        let moved = try daemon.orch(["migrate", name])
        #expect(moved.status == 0, "\(moved)")
        let entries = moved.standardOutput.range(of: #"(\d+) state entries"#, options: .regularExpression).map {
            Int(moved.standardOutput[$0].prefix { $0.isNumber }) ?? 0
        }
        #expect((entries ?? 0) >= 4, "two stations and two flows moved: \(moved.standardOutput)")
        let countedAfter = try received()
        #expect(countedBefore > 0 && countedAfter >= countedBefore, "the counters go on from where they were: \(countedBefore) -> \(countedAfter)")
        let flows = try daemon.orch(["flows", name]).standardOutput
        #expect(flows.contains("priority=200,icmp actions=drop"), "the added flow moved: \(flows)")
        #expect(!(try ping()), "and is in force")
        #expect(try daemon.orch(["del-flows", name, "priority=200,icmp"]).status == 0)
        #expect(try ping(), "the moved switch forwards")
    }

    /// An upgrade of the data-plane binary takes effect by a move: the daemon runs from a folder
    /// of its own with its nfv-dataplane; the file is replaced as a package manager replaces it
    /// (a new file renamed over the old: the running process keeps the old one, now deleted);
    /// after `migrate` the chain runs in a process of the new file, and forwarded throughout.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func anUpgradedBinaryTakesOverTheChain() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let name = "upgrade-\(suffix)"
        let (client, server) = ("nfvt-muc\(suffix)", "nfvt-mus\(suffix)")
        let bin = daemon.directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for tool in ["nfv-orch", "nfv-dataplane"] {
            try FileManager.default.copyItem(
                at: Fixtures.executablesDirectory.appendingPathComponent(tool), to: bin.appendingPathComponent(tool))
        }
        /// nfv-orch from the daemon's own folder (its daemon and data planes run from there).
        func orch(_ arguments: [String]) throws -> (status: Int32, output: String) {
            try HostCommand.run(
                ["env"] + daemon.environment.map { "\($0.key)=\($0.value)" } + [bin.appendingPathComponent("nfv-orch").path] + arguments)
        }
        defer {
            _ = try? orch(["undeploy", name, "--force"])
            daemon.remove()
        }
        let chainFile = try daemon.writeChain(
            name,
            ports: [
                "name: a, type: tap, ifname: nfvtua\(suffix), namespace: \(client), address: 10.230.0.1/24",
                "name: b, type: tap, ifname: nfvtub\(suffix), namespace: \(server), address: 10.230.0.2/24",
            ],
            stages: ["name: pass, vnf: pass-through"])
        let deployed = try orch(["deploy", chainFile.path, "--wait"])
        try #require(deployed.status == 0, "\(deployed.output)")
        func dataplane() throws -> pid_t? {
            let status = try orch(["status", name]).output
            return status.range(of: "data plane pid ").flatMap { pid_t(status[$0.upperBound...].prefix { $0.isNumber }) }
        }
        func executable(_ pid: pid_t) -> String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? "" }
        let installed = bin.appendingPathComponent("nfv-dataplane").path
        let before = try #require(try dataplane())
        #expect(executable(before) == installed)

        // The upgrade: a new file renamed over the installed one.
        let staged = bin.appendingPathComponent(".nfv-dataplane.new").path
        try FileManager.default.copyItem(atPath: Fixtures.executablesDirectory.appendingPathComponent("nfv-dataplane").path, toPath: staged)
        #expect(rename(staged, installed) == 0)
        #expect(executable(before).hasSuffix("(deleted)"), "the running data plane still runs the old file")
        let ping = Process()
        ping.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        ping.arguments = ["ip", "netns", "exec", client, "ping", "-c", "40", "-i", "0.05", "-W", "1", "10.230.0.2"]
        let pingOutput = Pipe()
        ping.standardOutput = pingOutput
        try ping.run()
        usleep(500_000)
        let moved = try orch(["migrate", name])
        #expect(moved.status == 0 && moved.output.contains("moved to data plane pid"), "\(moved.output)")
        ping.waitUntilExit()
        let pings = String(decoding: pingOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(pings.contains("40 received"), "every ping passed across the upgrade: \(pings)")
        let after = try #require(try dataplane())
        #expect(after != before && kill(before, 0) != 0)
        #expect(executable(after) == installed, "the new process runs the new file")
    }
}
