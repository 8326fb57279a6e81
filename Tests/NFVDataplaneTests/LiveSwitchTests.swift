import Foundation
import NFVCatalog
import NFVDataplane
import NFVReplay
import NFVSwitch
import NFVTestSupport
import Testing

/// The software switch live between four namespaces: a, b and c share VLAN 10, d is alone in
/// VLAN 20. The kernels' own ARP and ping are the reference: a reaches b and c, nobody reaches
/// d; once addresses are learnt, unicast between a and b is not flooded to c; a flow in front of
/// L2 switching drops telnet.
@Suite(.serialized) struct LiveSwitchTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func learnsFloodsAndSeparatesVLANs() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let hosts = ["a", "b", "c", "d"]
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        apiVersion: nfv/v1
        kind: SwitchConfig
        metadata: { name: test-switch }
        spec:
          ports:
            - { port: a, vlan: 10 }
            - { port: b, vlan: 10 }
            - { port: c, vlan: 10 }
            - { port: d, vlan: 20 }
          flows:
            - "priority=100,tcp,tp_dst=23,actions=drop"
            - "priority=0,actions=normal"
        """.write(to: directory.appendingPathComponent("switch.yaml"), atomically: true, encoding: .utf8)
        let ports = hosts.enumerated().map { index, host in
            "    - { name: \(host), type: tap, ifname: nfvtw\(host)\(suffix), namespace: nfvt-w\(host)\(suffix), address: 10.225.0.\(index + 1)/24 }"
        }.joined(separator: "\n")
        let chainFile = directory.appendingPathComponent("switch-chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: switch-test }
        spec:
          ports:
        \(ports)
          stages:
            - { name: sw, vnf: switch, config: switch.yaml }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        let running = LiveChainTests.Running(live)
        defer {
            running.stop()
            live.tearDown()
        }
        func ping(_ from: String, _ to: Int, count: Int = 1) throws -> Bool {
            try HostCommand.run([
                "ip", "netns", "exec", "nfvt-w\(from)\(suffix)", "ping", "-c", "\(count)", "-i", "0.05", "-W", "1",
                "10.225.0.\(to)",
            ]).output.contains("\(count) received")
        }
        #expect(try ping("a", 2), "a reaches b (same VLAN)")
        #expect(try ping("a", 3), "a reaches c (same VLAN)")
        #expect(!(try ping("a", 4)), "d is in VLAN 20")
        #expect(!(try ping("d", 2)), "d reaches nobody")
        let before = live.counters().ports
        #expect(try ping("a", 2, count: 20))
        let after = live.counters().ports
        let toC = after[2].transmittedPackets - before[2].transmittedPackets
        let toB = after[1].transmittedPackets - before[1].transmittedPackets
        #expect(toB >= 20, "b got the 20 echo requests")
        #expect(toC < 5, "learnt unicast between a and b is not flooded to c (c got \(toC) frames)")
        #expect(after[3].transmittedPackets == 0, "nothing of VLAN 10 ever reached d")
        let telnet = try HostCommand.run([
            "ip", "netns", "exec", "nfvt-wa\(suffix)", "python3", "-c",
            "import socket; socket.create_connection(('10.225.0.2', 23), timeout=2)",
        ])
        #expect(telnet.output.contains("timed out"), "the telnet flow drops the SYN: \(telnet.output)")
        // add-flow on the running switch: a flow in front of NORMAL drops a's ICMP; the dump
        // parses back to the same flows; del-flows takes it away again.
        #expect(try live.addFlow("priority=200,icmp,in_port=a,actions=drop") == "flow added")
        #expect(!(try ping("a", 2)), "the new flow drops a's pings")
        let dump = live.dumpFlows()
        #expect(dump.contains("priority=200,icmp,in_port=a actions=drop"), "\(dump)")
        let portNames: FlowSyntax.PortNames = ["a": 0, "b": 1, "c": 2, "d": 3]
        let parsed = try dump.split(separator: "\n").map { try FlowSyntax.parse(String($0), ports: portNames) }
        let expected = try [
            "priority=100,tcp,tp_dst=23,actions=drop", "priority=0,actions=normal",
            "priority=200,icmp,in_port=a,actions=drop",
        ].map { try FlowSyntax.parse($0, ports: portNames) }
        #expect(Set(parsed) == Set(expected), "dump-flows output parses back to the same table")
        #expect(try live.deleteFlows("icmp") == "1 flow(s) deleted")
        #expect(try ping("a", 2), "a's pings pass again")

        running.stop()
        let stage = try #require(live.counters().stages.last)
        #expect(stage.drops[.switchFlowDrop, default: 0] >= 1)
        live.tearDown()
        for host in hosts { #expect(!FileManager.default.fileExists(atPath: "/run/netns/nfvt-w\(host)\(suffix)")) }
    }
}
