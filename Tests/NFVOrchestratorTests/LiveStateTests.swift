import Foundation
import NFVTestSupport
import Testing

/// The runtime state of a live chain carried from one data plane to the next: a TCP transfer
/// from a LAN host to a server through the edge gateway (firewall -> router -> NAT) goes on
/// after its data plane is stopped (its TAPs vanish, the host's TCP retransmits) and a new one
/// is started with `--restore-state` from what the first one's `state` wrote. The bytes arrive
/// whole (SHA-256) over the one connection, so the server saw one source address and port
/// throughout; the NAT's mapping before and after is the same. Without the state, the same
/// stop and start breaks the transfer (the control).
@Suite(.serialized) struct LiveStateTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func aTCPTransferGoesOnThroughARestoredDataplane() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let (lan, wan) = ("nfvt-stl\(suffix)", "nfvt-stw\(suffix)")
        var running: StandaloneDataplane?
        defer {
            running?.stop()
            for namespace in [lan, wan] { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
            daemon.remove()
        }
        // The hosts' namespaces outlive the data planes (the chain uses them, and leaves them).
        for namespace in [lan, wan] { _ = try HostCommand.run(["ip", "netns", "add", namespace]) }
        let file = try daemon.writeEdgeGateway("state-\(suffix)", lan: lan, wan: wan, tapPrefix: "nfvst\(suffix)")
        let chain = "state-\(suffix)"
        func transferSurvivesAStop(restoring: Bool) throws -> (output: String, before: String, after: String) {
            let first = try StandaloneDataplane(file: file, chain: chain, directory: daemon.directory)
            running = first
            let transfer = try PacedTransfer(client: lan, server: wan, address: "198.51.100.1", port: 8000)
            defer { transfer.kill() }
            usleep(1_000_000)  // a second of the four under way
            let state = try first.command("state")
            let before = try first.command("nat")
            let stateFile = daemon.directory.appendingPathComponent("state.json")
            try state.write(to: stateFile, atomically: true, encoding: .utf8)
            first.stop()
            running = nil
            let second = try StandaloneDataplane(
                file: file, chain: chain, directory: daemon.directory, arguments: restoring ? ["--restore-state", stateFile.path] : [])
            running = second
            let output = transfer.finish()
            let after = try second.command("nat")
            second.stop()
            running = nil
            return (output, before, after)
        }
        let restored = try transferSurvivesAStop(restoring: true)
        #expect(restored.output.contains("intact"), "\(restored.output)")
        let log = (try? String(contentsOf: daemon.directory.appendingPathComponent("\(chain).log"), encoding: .utf8)) ?? ""
        #expect(log.contains("state: 2 entries restored from"), "one connection, one mapping: \(log)")
        // The mapping the server saw: the same outside port before and after.
        func outsidePorts(_ json: String) -> [Int] {
            let rows = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [[String: Any]] ?? []
            return rows.filter { ($0["insidePort"] as? Int) != nil && $0["proto"] as? String == "tcp" }.compactMap { $0["outsidePort"] as? Int }
        }
        #expect(!outsidePorts(restored.before).isEmpty && outsidePorts(restored.before) == outsidePorts(restored.after), "\(restored)")

        let control = try transferSurvivesAStop(restoring: false)
        #expect(!control.output.contains("intact"), "without the state the transfer breaks: \(control.output)")
    }

    /// The same through the orchestrator, as the issue asks it: snapshot, undeploy, restore,
    /// while the transfer runs; the file is an nfv-snapshot with the chain's four files and the
    /// state; the transfer arrives whole from the same NAT port.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func snapshotUndeployRestoreKeepsATransferGoing() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let (lan, wan) = ("nfvt-srl\(suffix)", "nfvt-srw\(suffix)")
        let name = "restore-\(suffix)"
        defer {
            _ = try? daemon.orch(["undeploy", name, "--force"])
            for namespace in [lan, wan] { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
            daemon.remove()
        }
        for namespace in [lan, wan] { _ = try HostCommand.run(["ip", "netns", "add", namespace]) }
        let file = try daemon.writeEdgeGateway(name, lan: lan, wan: wan, tapPrefix: "nfvsr\(suffix)")
        try #require(try daemon.orch(["deploy", file.path, "--wait"]).status == 0)
        let transfer = try PacedTransfer(client: lan, server: wan, address: "198.51.100.1", port: 8000)
        defer { transfer.kill() }
        usleep(1_000_000)
        let before = try daemon.orch(["nat", name]).standardOutput
        let snapshotFile = daemon.directory.appendingPathComponent("edge.snapshot").path
        let taken = try daemon.orch(["snapshot", name, "-o", snapshotFile])
        // One connection, one mapping, and the router's two neighbours (which a restore leaves out).
        #expect(taken.status == 0 && taken.standardOutput.contains("(4 files, 4 state entries)"), "\(taken)")
        #expect(try daemon.orch(["undeploy", name]).status == 0)
        let restored = try daemon.orch(["restore", snapshotFile, "--wait"])
        #expect(restored.status == 0 && restored.standardOutput.contains("chain \(name): restored from"), "\(restored)")
        let output = transfer.finish()
        #expect(output.contains("intact"), "\(output)")
        let after = try daemon.orch(["nat", name]).standardOutput
        func tcpMappings(_ text: String) -> [String] { text.split(separator: "\n").filter { $0.hasPrefix("tcp") }.map(String.init) }
        let outside = { (line: String) in line.split(separator: " ").first { $0.hasPrefix("198.51.100.2:") } }
        #expect(!tcpMappings(before).isEmpty && tcpMappings(before).map(outside) == tcpMappings(after).map(outside), "\(before)\n\(after)")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: snapshotFile))) as? [String: Any]
        #expect(document?["format"] as? String == "nfv-snapshot" && document?["version"] as? Int == 1)
        // A second restore while the chain is deployed is refused with the reason.
        let again = try daemon.orch(["restore", snapshotFile])
        #expect(again.status != 0 && again.standardError.contains("is deployed: a restore makes the chain anew"), "\(again)")
    }

    /// A clone of a running chain under another name, on TAPs of its own: it forwards, starts
    /// with the original's tracked connections, and the original goes on; a clone that would
    /// take the original's TAPs is refused, naming the owner.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func aCloneRunsBesideItsOriginalWithItsState() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let namespaces = ["nfvt-cla\(suffix)", "nfvt-cwa\(suffix)", "nfvt-clb\(suffix)", "nfvt-cwb\(suffix)"]
        let (original, copy) = ("clone-a-\(suffix)", "clone-b-\(suffix)")
        defer {
            for chain in [original, copy, "clone-c-\(suffix)"] { _ = try? daemon.orch(["undeploy", chain, "--force"]) }
            for namespace in namespaces { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
            daemon.remove()
        }
        for namespace in namespaces { _ = try HostCommand.run(["ip", "netns", "add", namespace]) }
        let file = try daemon.writeEdgeGateway(original, lan: namespaces[0], wan: namespaces[1], tapPrefix: "nfvca\(suffix)")
        try #require(try daemon.orch(["deploy", file.path, "--wait"]).status == 0)
        func ping(_ lan: String) throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", lan, "ping", "-c", "1", "-W", "2", "198.51.100.1"]).status == 0
        }
        #expect(try ping(namespaces[0]), "the original forwards (and tracks the ping)")

        let cloned = try daemon.orch([
            "clone", original, "--as", copy, "--port", "inside=nfvcbi\(suffix)@\(namespaces[2])",
            "--port", "outside=nfvcbo\(suffix)@\(namespaces[3])", "--wait",
        ])
        #expect(cloned.status == 0 && cloned.standardOutput.contains("chain \(copy): cloned from \(original)"), "\(cloned)")
        let tracked = try daemon.orch(["conntrack", copy]).standardOutput
        #expect(tracked.contains("icmp") && tracked.contains("src=10.0.1.10 dst=198.51.100.1"), "the copy has the ping: \(tracked)")
        #expect(try ping(namespaces[2]), "the copy forwards on its own TAPs")
        #expect(try ping(namespaces[0]), "the original goes on")
        #expect(try daemon.orch(["status", copy]).standardOutput.contains("nfvcbi\(suffix) in \(namespaces[2])"))

        let clash = try daemon.orch(["clone", original, "--as", "clone-c-\(suffix)"])
        #expect(clash.status != 0 && clash.standardError.contains("belongs to deployed chain \(original)"), "\(clash)")
        let unknown = try daemon.orch(["clone", original, "--as", "clone-c-\(suffix)", "--port", "lan=x"])
        #expect(unknown.status != 0 && unknown.standardError.contains("has no port lan"), "\(unknown)")
    }
}
