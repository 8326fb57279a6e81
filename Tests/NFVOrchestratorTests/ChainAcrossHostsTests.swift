import Foundation
import NFVTestSupport
import Testing

/// One chain on two hosts: the edge gateway with its firewall placed on host a and its router
/// and NAT on host b (`spec.hosts`, `placement:`), each host a network namespace with its own
/// nfv-orch daemon and state directory, joined by a veth underlay; each host deploys its half
/// (`--host`), and the halves meet through the kernel's VXLAN. A client on host a reaches a
/// server on host b through all three stages; TCP transfers both ways arrive intact; kill -9
/// of host b's data plane heals.
@Suite(.serialized) struct ChainAcrossHostsTests {
    /// nfv-orch of `daemon`, run inside network namespace `host` (its mount namespace stays the
    /// machine's, so the namespaces it makes are everyone's, as on a real host).
    static func orch(_ daemon: OrchestratorEndToEndTests.PrivateDaemon, host: String, _ arguments: [String]) throws -> (
        status: Int32, output: String
    ) {
        try HostCommand.run(
            daemon.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                + ["nsenter", "--net=/run/netns/\(host)", Fixtures.executablesDirectory.appendingPathComponent("nfv-orch").path]
                + arguments)
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: namespaces, TAPs, VXLAN"), .timeLimit(.minutes(3)))
    func aClientOnHostAReachesAServerOnHostBThroughAFirewallThereAndANATHere() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 10_000)
        let (hostA, hostB) = ("nfvt-ha\(suffix)", "nfvt-hb\(suffix)")
        let (lan, wan) = ("nfvt-xl\(suffix)", "nfvt-xw\(suffix)")
        let name = "xh\(suffix)"
        let daemons = (a: try OrchestratorEndToEndTests.PrivateDaemon(), b: try OrchestratorEndToEndTests.PrivateDaemon())
        defer {
            _ = try? Self.orch(daemons.a, host: hostA, ["undeploy", name, "--force"])
            _ = try? Self.orch(daemons.b, host: hostB, ["undeploy", name, "--force"])
            daemons.a.remove()
            daemons.b.remove()
            for namespace in [hostA, hostB] { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
        }
        // Two hosts and their underlay (jumbo enough for VXLAN's 50 bytes on 1500-byte frames).
        for namespace in [hostA, hostB] {
            try HostCommand.check(["ip", "netns", "add", namespace])
            try HostCommand.check(["ip", "-n", namespace, "link", "set", "lo", "up"])
        }
        try HostCommand.check([
            "ip", "link", "add", "nfvt-ua\(suffix)", "mtu", "1600", "type", "veth", "peer", "name", "nfvt-ub\(suffix)", "mtu", "1600",
        ])
        for (device, namespace, address) in [("nfvt-ua\(suffix)", hostA, "192.168.251.1/24"), ("nfvt-ub\(suffix)", hostB, "192.168.251.2/24")] {
            try HostCommand.check(["ip", "link", "set", device, "netns", namespace])
            try HostCommand.check(["ip", "-n", namespace, "addr", "add", address, "dev", device])
            try HostCommand.check(["ip", "-n", namespace, "link", "set", device, "up"])
        }
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        let chainFile = daemons.a.directory.appendingPathComponent("edge.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: \(name) }
        spec:
          hosts:
            - { name: a, address: 192.168.251.1 }
            - { name: b, address: 192.168.251.2 }
          overlay: { vni: \(5000 + Int(suffix)!) }
          ports:
            - { name: inside, type: tap, ifname: nfvtxi\(suffix), namespace: \(lan), address: 10.0.1.10/24, gateway: 10.0.1.1 }
            - { name: outside, type: tap, ifname: nfvtxo\(suffix), namespace: \(wan), address: 198.51.100.1/30 }
          stages:
            - { name: fw, vnf: firewall, config: \(configs)/edge-firewall.yaml, placement: a }
            - { name: router, vnf: router, config: \(configs)/edge-router.yaml, placement: b }
            - { name: nat, vnf: nat, config: \(configs)/edge-nat.yaml, placement: b }
        """.write(to: chainFile, atomically: true, encoding: .utf8)

        // The whole chain is for no single data plane; each host deploys its half.
        let whole = try Self.orch(daemons.a, host: hostA, ["deploy", chainFile.path])
        #expect(whole.status != 0 && whole.output.contains("--host NAME"), "\(whole.output)")
        let deployedA = try Self.orch(daemons.a, host: hostA, ["deploy", chainFile.path, "--host", "a", "--wait"])
        try #require(deployedA.status == 0 && deployedA.output.contains("stages fw)"), "\(deployedA.output)")
        let deployedB = try Self.orch(daemons.b, host: hostB, ["deploy", chainFile.path, "--host", "b", "--wait"])
        try #require(deployedB.status == 0 && deployedB.output.contains("stages router -> nat"), "\(deployedB.output)")
        let statusA = try Self.orch(daemons.a, host: hostA, ["status", name]).output
        #expect(statusA.contains("outside (vxlan x0o-\(name) in vx-x0o-\(name))"), "\(statusA)")

        func ping() throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", lan, "ping", "-c", "1", "-W", "1", "198.51.100.1"]).status == 0
        }
        #expect(try HostCommand.eventually(tries: 20, ping), "the LAN host reaches the server across both hosts")
        // TCP both ways to a port the firewall lets out (8000-8099), through host b's NAT.
        let upload = try BulkTransfer.run(client: lan, server: wan, address: "198.51.100.1", port: 8031, megabytes: 20, upload: true)
        #expect(upload.contains("intact"), "\(upload)")
        let download = try BulkTransfer.run(client: lan, server: wan, address: "198.51.100.1", port: 8032, megabytes: 20, upload: false)
        #expect(download.contains("intact"), "\(download)")
        let mappings = try Self.orch(daemons.b, host: hostB, ["nat", name]).output
        #expect(mappings.contains("198.51.100.2"), "host b's NAT mapped the LAN host: \(mappings)")
        // 1,000 connections between the one LAN host and one server port (only the source
        // ports differ: a NAT mapping each on host b), and pings of 4,000 bytes (three IPv4
        // fragments each) across the tunnel, the firewall and the NAT.
        let helper = Fixtures.root.appendingPathComponent("Tests/Fixtures/many_connections.py").path
        let echo = Process()
        echo.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        echo.arguments = ["ip", "netns", "exec", wan, "python3", helper, "server", "198.51.100.1", "8040"]
        echo.standardOutput = FileHandle.nullDevice
        try echo.run()
        defer { HostCommand.kill(echo) }
        usleep(300_000)
        let many = try HostCommand.run(["ip", "netns", "exec", lan, "python3", helper, "client", "198.51.100.1", "8040", "1000"])
        #expect(many.status == 0 && many.output.contains("\"second\": 1000"), "\(many.output)")
        let fragments = try HostCommand.run(["ip", "netns", "exec", lan, "ping", "-c", "3", "-s", "4000", "-W", "2", "198.51.100.1"])
        #expect(fragments.status == 0 && fragments.output.contains("3 received"), "\(fragments.output)")

        // The firewall on host a still decides: nothing may start from the WAN side.
        #expect(
            try HostCommand.run(["ip", "netns", "exec", wan, "ping", "-c", "1", "-W", "1", "10.0.1.10"]).status != 0,
            "the WAN side reaches no LAN address")

        // kill -9 of host b's data plane: host b's daemon starts another, which removes the
        // tunnel the killed one left and makes it again; traffic flows again.
        let statusB = try Self.orch(daemons.b, host: hostB, ["status", name]).output
        let pid = try #require(statusB.range(of: "data plane pid ").flatMap { pid_t(statusB[$0.upperBound...].prefix { $0.isNumber }) })
        kill(pid, SIGKILL)
        usleep(300_000)
        #expect(try HostCommand.eventually(tries: 50, ping), "traffic crosses both hosts again after host b's data plane was killed")
        let again = try BulkTransfer.run(client: lan, server: wan, address: "198.51.100.1", port: 8033, megabytes: 10, upload: true)
        #expect(again.contains("intact"), "\(again)")

        // A restart stops host b's data plane (which removes its tunnel and the namespace it is
        // in) and starts another at once, which makes the tunnel again with the same VNI.
        let restarted = try Self.orch(daemons.b, host: hostB, ["restart", name])
        #expect(restarted.status == 0, "\(restarted.output)")
        #expect(try HostCommand.eventually(tries: 50, ping), "traffic crosses both hosts after a restart of host b's half")

        // Undeploying both halves leaves no namespace of the chain behind.
        #expect(try Self.orch(daemons.a, host: hostA, ["undeploy", name]).status == 0)
        #expect(try Self.orch(daemons.b, host: hostB, ["undeploy", name]).status == 0)
        let left = try HostCommand.check(["ip", "netns", "list"])
        for namespace in [lan, wan, "vx-x0o-\(name)", "vx-x0i-\(name)"] {
            #expect(!left.contains(namespace), "\(namespace) is left: \(left)")
        }
    }
}
