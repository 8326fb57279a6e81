import Foundation
import NFVCatalog
import NFVDataplane
import NFVReplay
import NFVTestSupport
import Testing

/// A firewall rule change applied to a running chain: a TCP transfer that is under way when the
/// new rules arrive goes on without a lost segment (TCPCounters.lostSegments), its bytes
/// arrive intact, and the new rule judges new connections.
@Suite(.serialized) struct LiveReloadTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func firewallRulesChangeUnderARunningTransfer() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (client, server) = ("nfvt-rc\(suffix)", "nfvt-rs\(suffix)")
        let (inside, outside) = ("nfvtri\(suffix)", "nfvtro\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try String(contentsOf: Fixtures.root.appendingPathComponent("vnf-configs/edge-firewall.yaml"), encoding: .utf8)
        let firewallFile = directory.appendingPathComponent("firewall.yaml")
        try original.write(to: firewallFile, atomically: true, encoding: .utf8)
        let chainFile = directory.appendingPathComponent("reload.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: reload-test }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: \(inside),  namespace: \(client), address: 10.221.0.1/24 }
            - { name: outside, type: tap, ifname: \(outside), namespace: \(server), address: 10.221.0.2/24 }
          stages:
            - { name: fw, vnf: firewall, config: firewall.yaml }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        let running = LiveChainTests.Running(live)
        var processes: [Process] = []
        defer {
            for process in processes { HostCommand.kill(process) }
            running.stop()
            live.tearDown()
        }

        // A transfer that lasts about 3 s, so the update lands in the middle.
        let lostBefore = try TCPCounters.lostSegments(sender: client, receiver: server)
        let transfer = try PacedTransfer(client: client, server: server, address: "10.221.0.2", port: 8000)
        processes += [transfer.receiver, transfer.sender]
        usleep(1_200_000)

        // Port 8000 is closed to new connections by a rule placed before allow-web.
        let changed = original.replacingOccurrences(
            of: "    - { name: allow-web,",
            with: "    - { name: close-8000,     match: { proto: tcp, dstPort: 8000 }, action: drop }\n    - { name: allow-web,")
        #expect(changed != original)
        try changed.write(to: firewallFile, atomically: true, encoding: .utf8)
        let updated = try live.reload(try LoadedChain.load(path: chainFile.path))
        #expect(updated == ["fw"])
        #expect(transfer.sender.isRunning, "the transfer was still going when the rules changed")
        let result = transfer.finish()
        #expect(result.contains("intact"), "\(result)")
        #expect(try TCPCounters.lostSegments(sender: client, receiver: server) == lostBefore, "no segment was lost to the update")

        // A new connection meets close-8000.
        let refused = try HostCommand.run([
            "ip", "netns", "exec", client, "python3", "-c",
            "import socket; socket.create_connection(('10.221.0.2', 8000), timeout=2)",
        ])
        #expect(refused.status != 0 && refused.output.contains("timed out"), "\(refused.output)")

        running.stop()
        let firewall = try #require(live.counters().stages.last)
        #expect(firewall.ruleHits.first { $0.name == "close-8000" }.map(\.packets) ?? 0 >= 1, "\(firewall.ruleHits)")
        #expect(firewall.drops[.conntrackInvalid, default: 0] == 0)
        // A change that reshapes the connection table is refused, and says why.
        try original.replacingOccurrences(of: "capacity: 65536", with: "capacity: 1024")
            .write(to: firewallFile, atomically: true, encoding: .utf8)
        #expect(throws: LiveChainError.self) { try live.reload(try LoadedChain.load(path: chainFile.path)) }
    }
}
