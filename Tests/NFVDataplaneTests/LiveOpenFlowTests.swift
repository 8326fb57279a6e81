import Foundation
import NFVCatalog
import NFVDataplane
import NFVOpenFlowAgent
import NFVSwitch
import NFVTestSupport
import Testing

/// Open vSwitch's own ovs-ofctl (Debian's openvswitch-common; `make deps` installs it) against
/// the switch's OpenFlow listener, with and without `--no-names`, over TCP and a unix socket:
/// show, add-flow, mod-flows, del-flows (strict and not), dump-flows, dump-aggregate,
/// dump-tables, dump-ports, dump-ports-desc. The kernels' pings between three namespaces are
/// the reference for "traffic follows the flows"; `nfv-orch flows` (the control socket's
/// dump) shows the controller's flows with their cookies; groups and meters through
/// ovs-ofctl, with iperf3 through a meter. And the controllers the switch connects to: os-ken
/// 3.1.0 (PyPI) running a learning switch written for the test, and Faucet 1.10.12.
@Suite(.serialized) struct LiveOpenFlowTests {
    /// Three namespaces a, b, c (10.227.0.1-3) on a switch stage with `openflow:`, its data
    /// plane running and its agent started. `stop()` removes everything.
    final class Lab {
        let suffix = String(getpid() % 100_000)
        let directory: URL
        let live: LiveChain
        let agent: OpenFlowAgent
        let running: LiveChainTests.Running

        init(openflow: String, hosts: [String] = ["a", "b", "c"]) throws {
            directory = try Fixtures.temporaryDirectory()
            try """
            apiVersion: nfv/v1
            kind: SwitchConfig
            metadata: { name: of-switch }
            spec:
              ports: [\(hosts.map { "{ port: \($0) }" }.joined(separator: ", "))]
              openflow:
            \(openflow)
            """.write(to: directory.appendingPathComponent("switch.yaml"), atomically: true, encoding: .utf8)
            let suffix = self.suffix
            let ports = hosts.enumerated().map { index, host in
                "    - { name: \(host), type: tap, ifname: nfvtf\(host)\(suffix), namespace: nfvt-f\(host)\(suffix), address: 10.227.0.\(index + 1)/24 }"
            }.joined(separator: "\n")
            let chainFile = directory.appendingPathComponent("chain.yaml")
            try """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: openflow-test }
            spec:
              ports:
            \(ports)
              stages:
                - { name: sw, vnf: switch, config: switch.yaml }
            """.write(to: chainFile, atomically: true, encoding: .utf8)
            live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
            let (stage, configuration) = try #require(live.switchStageConfiguration)
            let settings = try #require(configuration.openflow)
            agent = try OpenFlowAgent(
                settings: settings,
                session: .init(
                    datapathID: settings.datapathID, tableCount: settings.tableCount, flowCapacity: settings.flowCapacity,
                    datapathDescription: "chain openflow-test, switch stage \(stage)", softwareVersion: "test"),
                datapath: live, log: { _ in })
            running = LiveChainTests.Running(live)
        }

        func stop() {
            agent.stop()
            running.stop()
            live.tearDown()
            try? FileManager.default.removeItem(at: directory)
        }

        func ping(_ from: String, _ to: Int, count: Int = 3) throws -> Bool {
            // A resolution that failed while no flow passed leaves a FAILED neighbour entry
            // that answers "unreachable" at once for a while: start each check afresh.
            _ = try HostCommand.run(["ip", "-n", "nfvt-f\(from)\(suffix)", "neigh", "flush", "all"])
            // Several tries (the first waits for ARP on a loaded machine): any answer counts.
            let output = try HostCommand.run([
                "ip", "netns", "exec", "nfvt-f\(from)\(suffix)", "ping", "-c", "\(count)", "-i", "0.2", "-W", "2", "10.227.0.\(to)",
            ]).output
            return output.contains(" received") && !output.contains(" 0 received")
        }

        /// The MAC address of host `host`'s side.
        func mac(_ host: String) throws -> String {
            let output = try HostCommand.run(["ip", "-n", "nfvt-f\(host)\(suffix)", "link", "show", "nfvtf\(host)\(suffix)"]).output
            return String(output.split(separator: "link/ether ").dropFirst().first?.prefix(17) ?? "")
        }
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func ovsOfctlProgramsTheSwitch() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/ovs-ofctl"), "make deps installs openvswitch-common")
        // Listening ports stay below the kernel's ephemeral range (32768 and up), where another
        // test's outgoing connection could hold the port: "Address already in use".
        let tcpPort = 20_000 + Int(getpid() % 4_000)
        let unixPath = "/tmp/nfv-openflow-test-\(getpid()).sock"
        let lab = try Lab(
            openflow: """
                    datapathID: "0x2a"
                    listen: [tcp:127.0.0.1:\(tcpPort), unix:\(unixPath)]
                    failMode: secure
                """)
        defer { lab.stop() }
        let live = lab.live
        func ping(_ from: String, _ to: Int) throws -> Bool { try lab.ping(from, to) }
        let hosts = ["a", "b", "c"]
        let tcp = "tcp:127.0.0.1:\(tcpPort)"
        func ofctl(_ arguments: String...) throws -> String {
            let result = try HostCommand.run(["ovs-ofctl", "-O", "OpenFlow13"] + arguments)
            #expect(result.status == 0, "ovs-ofctl \(arguments.joined(separator: " ")): \(result.output)")
            return result.output
        }
        func flowLines(_ target: String = tcp) throws -> [String] {
            try ofctl("dump-flows", target).split(separator: "\n").filter { $0.contains("cookie=") }.map(String.init)
        }

        let show = try ofctl("show", tcp)
        #expect(show.contains("dpid:000000000000002a") && show.contains("n_tables:8"), "\(show)")
        for (index, host) in hosts.enumerated() { #expect(show.contains(" \(index + 1)(\(host)): "), "port \(host) in show") }
        #expect(try flowLines().isEmpty, "fail mode secure without flows: empty tables")
        #expect(!(try ping("a", 2)), "no flows: nothing passes")

        // Port names (ovs-ofctl reads them from the port description) and numbers alike.
        _ = try ofctl("add-flow", tcp, "priority=100,in_port=a,actions=output:b")
        _ = try ofctl("--no-names", "add-flow", tcp, "priority=100,in_port=2,actions=output:1")
        #expect(try ping("a", 2), "a reaches b through the two flows")
        #expect(!(try ping("a", 3)), "nothing goes to c")

        // A drop in front, with a cookie, over the unix socket.
        _ = try ofctl("add-flow", "unix:\(unixPath)", "cookie=0x42,priority=200,icmp,in_port=a,actions=drop")
        #expect(!(try ping("a", 2)), "the drop flow stops a's pings")
        let lines = try flowLines("unix:\(unixPath)")
        #expect(
            lines.count == 3 && lines.contains { $0.contains("cookie=0x42") && $0.contains("priority=200,icmp,in_port=1 actions=drop") }, "\(lines)")
        // One source of truth: the data plane's own dump (what nfv-orch flows prints) shows it.
        #expect(live.dumpFlows().contains("cookie=0x42"), "\(live.dumpFlows())")

        // del-flows --strict takes only the exact priority and match.
        _ = try ofctl("--strict", "del-flows", tcp, "priority=199,icmp,in_port=a")
        #expect(try flowLines().count == 3, "another priority deletes nothing")
        _ = try ofctl("--strict", "del-flows", tcp, "priority=200,icmp,in_port=a")
        #expect(try flowLines().count == 2)
        #expect(try ping("a", 2), "without the drop flow a reaches b again")

        // mod-port: b down (its TAP's link goes down: PORT_DOWN, LINK_DOWN), then up again.
        _ = try ofctl("mod-port", tcp, "b", "down")
        let downDescription = try ofctl("dump-ports-desc", tcp)
        let portB = downDescription.components(separatedBy: " 2(b):").dropFirst().first?.components(separatedBy: " 3(c):").first ?? ""
        #expect(portB.contains("PORT_DOWN") && portB.contains("LINK_DOWN"), "\(downDescription)")
        #expect(!(try ping("a", 2)), "b is down")
        _ = try ofctl("mod-port", tcp, "b", "up")
        #expect(!(try ofctl("dump-ports-desc", tcp)).contains("PORT_DOWN"))
        #expect(try ping("a", 2), "b is up again")

        // mod-flows changes the actions of every flow at least as specific as its match.
        _ = try ofctl("mod-flows", tcp, "in_port=b,actions=output:c")
        #expect(try flowLines().contains { $0.contains("in_port=2 actions=output:3") })
        #expect(!(try ping("a", 2)), "b's replies now go to c")

        // del-flows without --strict by cookie: two flows go, the rest stays.
        _ = try ofctl("add-flow", tcp, "cookie=0x7,priority=10,udp,actions=drop")
        _ = try ofctl("add-flow", tcp, "cookie=0x7,table=1,priority=10,tcp,tp_dst=80,actions=drop")
        #expect(try flowLines().count == 4)
        _ = try ofctl("del-flows", tcp, "cookie=0x7/-1")
        #expect(try flowLines().count == 2)

        // A flow with an idle timeout goes by itself, and a later edit does not bring it back.
        _ = try ofctl("add-flow", tcp, "idle_timeout=1,send_flow_rem,priority=300,udp,tp_dst=9,actions=drop")
        #expect(try flowLines().contains { $0.contains("idle_timeout=1") })
        var waited = 0
        while try flowLines().contains(where: { $0.contains("idle_timeout=1") }), waited < 40 {
            usleep(100_000)
            waited += 1
        }
        #expect(!(try flowLines()).contains { $0.contains("idle_timeout=1") }, "the idle flow timed out")
        _ = try ofctl("add-flow", tcp, "priority=5,udp,tp_dst=10,actions=drop")
        #expect(!(try flowLines()).contains { $0.contains("idle_timeout=1") }, "an edit after the timeout does not bring it back")
        _ = try ofctl("--strict", "del-flows", tcp, "priority=5,udp,tp_dst=10")

        let aggregate = try ofctl("dump-aggregate", tcp)
        #expect(aggregate.contains("flow_count=2"), "\(aggregate)")
        let tables = try ofctl("dump-tables", tcp)
        #expect(tables.contains("table 0:") && tables.contains("active=2"), "\(tables)")
        let portStats = try ofctl("dump-ports", tcp, "1")
        let received = portStats.split(separator: "rx pkts=").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect(received > 0, "port 1 counted a's frames: \(portStats)")
        let descriptions = try ofctl("dump-ports-desc", tcp)
        #expect(descriptions.contains("1(a):") && descriptions.contains("3(c):") && descriptions.contains("LIVE"), "\(descriptions)")

        _ = try ofctl("del-flows", tcp)
        #expect(try flowLines().isEmpty)
        #expect(!(try ping("a", 2)))
    }

    /// ovs-ofctl's group, meter and packet-out commands against the listener, with the kernels'
    /// traffic as the reference: packet-out reaches b's namespace, a FAST_FAILOVER group moves a's packets to its backup bucket as soon as
    /// mod-port sets the watched port down, an ALL group copies to b and c, del-groups takes
    /// the flows that use a group with it, and iperf3's TCP through a 10 Mbit/s meter measures
    /// within 5% of the rate (goodput: the meter counts whole frames).
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func ovsOfctlDrivesGroupsAndMeters() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/ovs-ofctl"), "make deps installs openvswitch-common")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/iperf3"), "make deps installs iperf3")
        let tcpPort = 26_000 + Int(getpid() % 6_000)
        let lab = try Lab(
            openflow: """
                    datapathID: "0x2b"
                    listen: [tcp:127.0.0.1:\(tcpPort)]
                """)
        defer { lab.stop() }
        let tcp = "tcp:127.0.0.1:\(tcpPort)"
        func ofctl(_ arguments: String...) throws -> String {
            let result = try HostCommand.run(["ovs-ofctl", "-O", "OpenFlow13"] + arguments)
            #expect(result.status == 0, "ovs-ofctl \(arguments.joined(separator: " ")): \(result.output)")
            return result.output
        }
        /// Packet counts of group `id`'s buckets, from dump-group-stats.
        func bucketPackets(_ id: Int) throws -> [Int] {
            let stats = try ofctl("dump-group-stats", tcp, "group_id=\(id)")
            return stats.components(separatedBy: "bucket").dropFirst().map { part in
                Int(part.components(separatedBy: "packet_count=").dropFirst().first?.prefix { $0.isNumber } ?? "") ?? -1
            }
        }

        // Metadata written in table 0 picks table 1's flow, which writes its output to the
        // action set: a's pings reach b that way.
        _ = try ofctl("add-flow", tcp, "table=0,priority=100,in_port=a,actions=write_metadata:0x2/0xff,goto_table:1")
        _ = try ofctl("add-flow", tcp, "table=1,priority=100,metadata=0x2/0xff,actions=write_actions(output:b)")
        _ = try ofctl("add-flow", tcp, "table=1,priority=100,metadata=0x3/0xff,actions=output:c")
        _ = try ofctl("add-flow", tcp, "priority=100,in_port=b,actions=output:a")
        #expect(try lab.ping("a", 2), "a reaches b through metadata and the action set")
        let pipeline = try ofctl("dump-flows", tcp)
        #expect(pipeline.contains("metadata=0x2/0xff actions=write_actions(output:2)"), "\(pipeline)")
        #expect(pipeline.contains("actions=write_metadata:0x2/0xff,goto_table:1"), "\(pipeline)")
        _ = try ofctl("del-flows", tcp)

        let features = try ofctl("dump-group-features", tcp)
        #expect(
            features.contains("all") && features.contains("select") && features.contains("indirect") && features.contains("fast failover"),
            "\(features)")
        _ = try ofctl("add-group", tcp, "group_id=1,type=ff,bucket=watch_port:b,output:b,bucket=watch_port:c,output:c")
        _ = try ofctl("add-group", tcp, "group_id=2,type=select,bucket=weight:1,output:b,bucket=weight:3,output:c")
        _ = try ofctl("add-group", tcp, "group_id=3,type=all,bucket=output:b,bucket=output:c")
        // (ovs-ofctl prints groups with port numbers, and a select bucket's weight only when not 1.)
        let groups = try ofctl("dump-groups", tcp)
        #expect(groups.contains("group_id=1,type=ff,bucket=watch_port:2,actions=output:2,bucket=watch_port:3,actions=output:3"), "\(groups)")
        #expect(groups.contains("group_id=2,type=select,bucket=actions=output:2,bucket=weight:3,actions=output:3"), "\(groups)")
        #expect(groups.contains("group_id=3,type=all,bucket=actions=output:2,bucket=actions=output:3"), "\(groups)")
        let taken = try HostCommand.run(["ovs-ofctl", "-O", "OpenFlow13", "add-group", tcp, "group_id=1,type=all,bucket=output:b"])
        #expect(taken.status != 0 && taken.output.contains("OFPGMFC_GROUP_EXISTS"), "\(taken.output)")

        // a's packets through the fast-failover group; replies straight back.
        _ = try ofctl("add-flow", tcp, "priority=100,in_port=a,actions=group:1")
        _ = try ofctl("add-flow", tcp, "priority=100,in_port=b,actions=output:a")
        _ = try ofctl("add-flow", tcp, "priority=100,in_port=c,actions=output:a")
        #expect(try lab.ping("a", 2), "a reaches b through the group's first bucket")
        #expect(lab.live.dumpFlows().contains("in_port=a actions=group:1"), "nfv-orch flows shows the group action: \(lab.live.dumpFlows())")
        let before = try bucketPackets(1)
        #expect(before.count == 2 && before[0] > 0 && before[1] == 0, "\(before)")
        _ = try ofctl("mod-port", tcp, "b", "down")
        // Counted from here: a namespace's own background packets (IPv6 router solicitations,
        // MLD reports) may take the first bucket between the reading above and the mod-port.
        let down = try bucketPackets(1)
        #expect(!(try lab.ping("a", 2)), "b is down: its bucket is not live, c takes a's packets (and ignores them)")
        let after = try bucketPackets(1)
        #expect(
            after.count == 2 && down.count == 2 && after[0] == down[0] && after[1] >= down[1] + 3,
            "every packet after mod-port went to the backup: \(before), \(down) at mod-port, then \(after)")
        _ = try ofctl("mod-port", tcp, "b", "up")
        #expect(try lab.ping("a", 2), "b is back: the first bucket again")

        // packet-out: a UDP datagram (built by scapy) from the controller out of port b, where
        // tcpdump in b's namespace sees it.
        let (macA, macB) = (try lab.mac("a"), try lab.mac("b"))
        let hex = try HostCommand.check([
            "python3", "-c",
            "from scapy.all import Ether, IP, UDP; print(bytes(Ether(src='\(macA)', dst='\(macB)')/IP(src='10.227.0.1', dst='10.227.0.2')"
                + "/UDP(sport=5555, dport=9999)/b'packet-out').hex())",
        ]).trimmingCharacters(in: .whitespacesAndNewlines)
        let capture = Process()
        capture.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        capture.arguments = [
            "timeout", "-s", "KILL", "10", "ip", "netns", "exec", "nfvt-fb\(lab.suffix)", "tcpdump", "-l", "-n", "-c", "1", "-i",
            "nfvtfb\(lab.suffix)", "udp port 9999",
        ]
        let captured = Pipe()
        capture.standardOutput = captured
        capture.standardError = FileHandle.nullDevice
        try capture.run()
        defer { HostCommand.kill(capture) }
        usleep(1_500_000)  // tcpdump listening
        _ = try ofctl("packet-out", tcp, "in_port=controller packet=\(hex) actions=output:b")
        capture.waitUntilExit()
        let seen = String(decoding: captured.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(seen.contains("10.227.0.1.5555 > 10.227.0.2.9999: UDP, length 10"), "tcpdump in b saw: \(seen)")

        // The ALL group copies to b and c: b answers.
        _ = try ofctl("mod-flows", tcp, "in_port=a,actions=group:3")
        #expect(try lab.ping("a", 2), "a reaches b through the ALL group")
        let copies = try bucketPackets(3)
        #expect(copies.count == 2 && copies[0] > 0 && copies[0] == copies[1], "each bucket got every packet: \(copies)")
        // Deleting a group deletes the flows that send to it (OpenFlow 1.3.5 6.5).
        _ = try ofctl("del-groups", tcp, "group_id=3")
        #expect(!(try ofctl("dump-flows", tcp)).contains("group:3"))
        #expect(!(try ofctl("dump-groups", tcp)).contains("group_id=3"))

        // A 10 Mbit/s meter on a's packets; iperf3's TCP from a to b. The burst, 300 ms at the
        // rate, is what TCP needs through a policer (with 100 ms it gets about half the rate:
        // its bursts overrun the bucket and the losses end in retransmission timeouts).
        _ = try ofctl("add-meter", tcp, "meter=1,kbps,burst,stats,band=type=drop,rate=10000,burst_size=3000")
        let meters = try ofctl("dump-meters", tcp)
        #expect(meters.contains("meter=1 kbps burst stats bands=") && meters.contains("type=drop rate=10000 burst_size=3000"), "\(meters)")
        _ = try ofctl("add-flow", tcp, "priority=100,in_port=a,actions=meter:1,output:b")
        let meteredFlows = try ofctl("dump-flows", tcp)
        #expect(meteredFlows.contains("in_port=1 actions=meter:1,output:2"), "\(meteredFlows)")
        let received = try IperfThroughput.tcp(
            client: "nfvt-fa\(lab.suffix)", server: "nfvt-fb\(lab.suffix)", address: "10.227.0.2", port: 5_300 + Int(getpid() % 500), seconds: 8,
            omit: 1)
        // The meter counts frames (1514 bytes for 1448 bytes of TCP payload with timestamps).
        let expected = 10_000_000.0 * 1448 / 1514
        #expect(
            abs(received / expected - 1) < 0.05,
            "iperf3 measured \(received / 1e6) Mbit/s; the meter's 10 Mbit/s of frames is \(expected / 1e6) of payload")
        let meterStats = try ofctl("meter-stats", tcp, "meter=1")
        #expect(meterStats.contains("meter:1 flow_count:1"), "\(meterStats)")
        let dropped = meterStats.components(separatedBy: "0: packet_count:").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect(dropped > 0, "the meter dropped what went over: \(meterStats)")
        print(
            "openflow meter: iperf3 TCP \(received / 1e6) Mbit/s through a 10 Mbit/s meter (payload share \(expected / 1e6)); \(dropped) packets dropped"
        )
        _ = try ofctl("del-meters", tcp)
        #expect(!(try ofctl("dump-flows", tcp)).contains("meter:1"), "deleting a meter deletes the flows that use it")
    }

    /// os-ken (the version Faucet pins) as the controller the switch connects to, running the
    /// learning switch of Tests/Fixtures/openflow/apps: the three namespaces reach each other,
    /// and once the pairs are learnt their packets no longer go to the controller.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func osKenLearningSwitchConnectsAndLearns() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let installed = try HostCommand.run(["python3", "-c", "import os_ken"])
        try #require(installed.status == 0, "make deps installs os-ken from PyPI: \(installed.output)")
        let controllerPort = 24_000 + Int(getpid() % 8_000)
        let log = try Fixtures.temporaryDirectory().appendingPathComponent("packet-in.log")
        defer { try? FileManager.default.removeItem(at: log.deletingLastPathComponent()) }
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let controller = Process()
        controller.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        controller.arguments = [
            "python3", "-m", "os_ken.cmd.manager", "--ofp-listen-host", "127.0.0.1", "--ofp-tcp-listen-port", "\(controllerPort)",
            Fixtures.root.appendingPathComponent("Tests/Fixtures/openflow/apps/learning_switch.py").path,
        ]
        controller.environment = ProcessInfo.processInfo.environment.merging(["PACKET_IN_LOG": log.path]) { _, new in new }
        let controllerOutput = log.deletingLastPathComponent().appendingPathComponent("osken.log")
        FileManager.default.createFile(atPath: controllerOutput.path, contents: nil)
        controller.standardOutput = try FileHandle(forWritingTo: controllerOutput)
        controller.standardError = controller.standardOutput
        try controller.run()
        defer { HostCommand.kill(controller) }
        // The agent connects when the controller listens (and re-tries with backoff if not yet).
        let lab = try Lab(
            openflow: """
                    datapathID: "0x7"
                    controllers: [tcp:127.0.0.1:\(controllerPort)]
                    listen: [tcp:127.0.0.1:\(controllerPort + 1)]
                """)
        defer { lab.stop() }
        func logLines() -> [String] {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        var waited = 0
        while !logLines().contains("features 7") && waited < 300 {
            usleep(100_000)
            waited += 1
        }
        #expect(
            logLines().contains("features 7"),
            "os-ken saw the switch: \(((try? String(contentsOf: controllerOutput, encoding: .utf8)) ?? "").suffix(2000))")
        #expect(try lab.ping("a", 2), "a reaches b")
        #expect(try lab.ping("a", 3), "a reaches c")
        #expect(try lab.ping("b", 3), "b reaches c")
        let (a, b) = (try lab.mac("a"), try lab.mac("b"))
        func pairPacketIns() -> Int {
            logLines().filter { line in
                line.hasPrefix("packet_in ") && (line.hasSuffix("\(a) \(b)") || line.hasSuffix("\(b) \(a)"))
            }.count
        }
        let learnt = pairPacketIns()
        #expect(learnt > 0, "the pair was learnt from packet-ins")
        let again = try HostCommand.run(["ip", "netns", "exec", "nfvt-fa\(lab.suffix)", "ping", "-c", "10", "-i", "0.1", "-W", "2", "10.227.0.2"])
        #expect(again.output.contains("10 received"), "\(again.output)")
        #expect(pairPacketIns() == learnt, "no packet-in for a learnt pair (\(learnt) before, \(pairPacketIns()) after)")
        // A port set down with PORT_MOD (ovs-ofctl, on the switch's listener) reaches the
        // controller as PORT_STATUS (MODIFY, config PORT_DOWN, state LINK_DOWN), and back up.
        for (change, expected) in [("down", "port_status 2 3 1 1"), ("up", "port_status 2 3 0 4")] {
            let result = try HostCommand.run(["ovs-ofctl", "-O", "OpenFlow13", "mod-port", "tcp:127.0.0.1:\(controllerPort + 1)", "c", change])
            #expect(result.status == 0, "\(result.output)")
            var tries = 0
            while !logLines().contains(expected) && tries < 50 {
                usleep(100_000)
                tries += 1
            }
            #expect(logLines().contains(expected), "os-ken heard \(expected): \(logLines().filter { $0.hasPrefix("port_status") })")
        }
        // The controller's flows, as the data plane shows them (nfv-orch flows).
        let dump = lab.live.dumpFlows()
        #expect(dump.contains("priority=0 actions=CONTROLLER"), "\(dump)")
        #expect(dump.contains("dl_dst=\(b)") && dump.contains("actions=output:b"), "\(dump)")
    }

    /// Faucet 1.10.12 (PyPI, in its own virtual environment: it pins other versions of
    /// prometheus_client than the tests use) as the controller, with two VLANs over four ports:
    /// hosts of one VLAN reach each other, across VLANs they do not; a port set down with
    /// PORT_MOD reaches Faucet as PORT_STATUS, and Faucet takes the port's hosts out.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func faucetSeparatesTwoVLANs() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let faucet = Self.faucetExecutable
        try #require(FileManager.default.isExecutableFile(atPath: faucet), "make deps installs Faucet 1.10.12 at \(faucet)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let controllerPort = 12_000 + Int(getpid() % 4_000)  // below the ephemeral range, as above
        try """
        vlans:
          office: { vid: 100 }
          guest: { vid: 200 }
        dps:
          nfv-switch:
            dp_id: 0x5
            hardware: "Open vSwitch"
            interfaces:
              1: { name: a, native_vlan: office }
              2: { name: b, native_vlan: office }
              3: { name: c, native_vlan: guest }
              4: { name: d, native_vlan: guest }
        """.write(to: directory.appendingPathComponent("faucet.yaml"), atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("faucet.log")
        let output = directory.appendingPathComponent("faucet.out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let controller = Process()
        controller.executableURL = URL(fileURLWithPath: faucet)
        controller.arguments = ["--ryu-ofp-listen-host", "127.0.0.1", "--ryu-ofp-tcp-listen-port", "\(controllerPort)"]
        // Faucet execs osken-manager from PATH: its own environment's comes first.
        let path =
            URL(fileURLWithPath: faucet).deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        controller.environment = ProcessInfo.processInfo.environment.merging([
            "PATH": path,
            "FAUCET_CONFIG": directory.appendingPathComponent("faucet.yaml").path, "FAUCET_LOG": log.path,
            "FAUCET_EXCEPTION_LOG": directory.appendingPathComponent("faucet-exception.log").path,
            "FAUCET_PROMETHEUS_ADDR": "127.0.0.1", "FAUCET_PROMETHEUS_PORT": "\(controllerPort + 1)",
        ]) { _, new in new }
        controller.standardOutput = try FileHandle(forWritingTo: output)
        controller.standardError = controller.standardOutput
        try controller.run()
        defer { HostCommand.kill(controller) }
        let lab = try Lab(
            openflow: """
                    datapathID: "0x5"
                    controllers: [tcp:127.0.0.1:\(controllerPort)]
                    listen: [tcp:127.0.0.1:\(controllerPort + 2)]
                """, hosts: ["a", "b", "c", "d"])
        defer { lab.stop() }
        func faucetLog() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        var waited = 0
        while !faucetLog().contains("Cold start configuring DP") && waited < 300 {
            usleep(100_000)
            waited += 1
        }
        #expect(
            faucetLog().contains("Cold start configuring DP"),
            "Faucet programmed the switch: \(faucetLog().suffix(3000)) \(((try? String(contentsOf: output, encoding: .utf8)) ?? "").suffix(3000))")
        usleep(500_000)
        #expect(try lab.ping("a", 2), "a and b share VLAN office")
        #expect(try lab.ping("c", 4), "c and d share VLAN guest")
        #expect(!(try lab.ping("a", 3)), "a (office) does not reach c (guest)")
        #expect(!(try lab.ping("d", 2)), "d (guest) does not reach b (office)")
        #expect(faucetLog().contains("L2 learned"), "Faucet learnt the hosts from packet-ins: \(faucetLog().suffix(2000))")
        let flows = lab.live.dumpFlows()
        #expect(flows.contains("cookie=0x5adc15c0"), "Faucet's flows, with its cookie, in the data plane's dump: \(flows.prefix(2000))")
        // A port set down with PORT_MOD (ovs-ofctl on the switch's listener) reaches Faucet as
        // PORT_STATUS: it says the port is down, and b no longer answers.
        let down = try HostCommand.run(["ovs-ofctl", "-O", "OpenFlow13", "mod-port", "tcp:127.0.0.1:\(controllerPort + 2)", "b", "down"])
        #expect(down.status == 0, "\(down.output)")
        var tries = 0
        while !(faucetLog().contains("Port 2 (b) down") && !lab.live.dumpFlows().contains("in_port=b")) && tries < 50 {
            usleep(100_000)
            tries += 1
        }
        #expect(faucetLog().contains("Port 2 (b) down"), "Faucet heard the PORT_STATUS: \(faucetLog().suffix(2000))")
        #expect(!lab.live.dumpFlows().contains("in_port=b"), "Faucet took port b's flows out: \(lab.live.dumpFlows())")
        #expect(!(try lab.ping("a", 2)), "b is down")
        let exceptions = (try? String(contentsOf: directory.appendingPathComponent("faucet-exception.log"), encoding: .utf8)) ?? ""
        #expect(exceptions.isEmpty, "\(exceptions)")

    }

    /// Where `make deps` installs Faucet (FAUCET overrides).
    static var faucetExecutable: String {
        ProcessInfo.processInfo.environment["FAUCET"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/nfv-platform/faucet-1.10.12/bin/faucet").path
    }

    /// The product's path: nfv-dataplane reads `openflow:` from the switch's configuration,
    /// starts the channel, logs it, counts what it does (the `openflow` control command), and
    /// on SIGTERM removes its unix socket with everything else.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func theDataPlaneStartsTheChannelFromItsConfiguration() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/ovs-ofctl"), "make deps installs openvswitch-common")
        let suffix = String(getpid() % 100_000)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tcpPort = 32_000 + Int(getpid() % 8_000)
        let openflowSocket = directory.appendingPathComponent("of.sock").path
        try """
        apiVersion: nfv/v1
        kind: SwitchConfig
        metadata: { name: dp-switch }
        spec:
          ports: [{ port: a }, { port: b }]
          openflow:
            datapathID: 0x10
            listen: [tcp:127.0.0.1:\(tcpPort), unix:\(openflowSocket)]
        """.write(to: directory.appendingPathComponent("switch.yaml"), atomically: true, encoding: .utf8)
        let chainFile = directory.appendingPathComponent("chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: openflow-dataplane-test }
        spec:
          ports:
            - { name: a, type: tap, ifname: nfvtda\(suffix), namespace: nfvt-da\(suffix), address: 10.229.0.1/24 }
            - { name: b, type: tap, ifname: nfvtdb\(suffix), namespace: nfvt-db\(suffix), address: 10.229.0.2/24 }
          stages:
            - { name: sw, vnf: switch, config: switch.yaml }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let control = directory.appendingPathComponent("ctl.sock").path
        let ready = directory.appendingPathComponent("ready").path
        let log = directory.appendingPathComponent("dataplane.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let dataplane = Process()
        dataplane.executableURL = Fixtures.executablesDirectory.appendingPathComponent("nfv-dataplane")
        dataplane.arguments = [chainFile.path, "--control", control, "--ready-file", ready]
        dataplane.standardOutput = try FileHandle(forWritingTo: log)
        dataplane.standardError = dataplane.standardOutput
        try dataplane.run()
        defer { HostCommand.kill(dataplane) }
        try #require(DataplaneKillTests.waitForFile(ready, seconds: 15), "the data plane came up")
        let tcp = "tcp:127.0.0.1:\(tcpPort)"
        #expect(try HostCommand.run(["ovs-ofctl", "-O", "OpenFlow13", "add-flow", tcp, "priority=1,actions=normal"]).status == 0)
        let refused = try HostCommand.run(["ovs-ofctl", "-O", "OpenFlow13", "--no-names", "add-flow", tcp, "priority=2,actions=output:9"])
        #expect(refused.status != 0 && refused.output.contains("OFPBAC_BAD_OUT_PORT"), "\(refused.output)")
        #expect(try ControlSocketTests.ask(control, "flows").contains("priority=1 actions=NORMAL"))
        let report = try ControlSocketTests.ask(control, "openflow")
        let counts = (try? JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])?["counts"] as? [String: Any]
        #expect(counts?["flowModsApplied"] as? Int == 1, "\(report)")
        #expect((counts?["errors"] as? [String: Int])?["2/4"] == 1, "one OFPBAC_BAD_OUT_PORT counted: \(report)")
        // SIGTERM stops it, although the test runner's children start with SIGTERM blocked
        // (the data plane unblocks it).
        kill(dataplane.processIdentifier, SIGTERM)
        dataplane.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(output.contains("openflow: switch sw, datapath 0x10, listening on \(tcp), unix:\(openflowSocket)"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: openflowSocket), "the unix socket is removed on exit")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/nfvt-da\(suffix)"), "the namespaces are removed on exit")
    }
}
