import Foundation
import NFVCatalog
import NFVDataplane
import NFVPacket
import NFVReplay
import NFVTestSupport
import Testing

/// The traffic that cut off the 33rd connection: many concurrent TCP connections from one
/// client address to one server address and port (only the client's ports differ), each opened,
/// used once, then used again, through the stages of the shipped chains between namespaces.
/// Every connection must succeed in every round; the stateful stages must neither refuse nor
/// evict one.
///
/// CI opens 2,000 connections per chain; `NFV_MANY_CONNECTIONS=10000` runs the full count.
@Suite(.serialized) struct ManyConnectionsTests {
    static var count: Int { ProcessInfo.processInfo.environment["NFV_MANY_CONNECTIONS"].flatMap(Int.init) ?? 2000 }
    static var helper: String { Fixtures.root.appendingPathComponent("Tests/Fixtures/many_connections.py").path }

    /// Runs the echo server in `namespace` on `address` and `ports`, the client in
    /// `clientNamespace` towards `target`, and returns the client's JSON report.
    static func exchange(
        serverNamespace: String, address: String, ports: [Int], clientNamespace: String, target: String,
        targetPort: Int, beforeClient: () throws -> Void = {}
    ) throws -> (status: Int32, report: String) {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "ip", "netns", "exec", serverNamespace, "python3", helper, "server", address,
            ports.map(String.init).joined(separator: ","),
        ]
        let serverOutput = Pipe()
        server.standardOutput = serverOutput
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { HostCommand.kill(server) }
        // The server says "listening" once its sockets are bound.
        _ = serverOutput.fileHandleForReading.availableData
        try beforeClient()
        let result = try HostCommand.run([
            "ip", "netns", "exec", clientNamespace, "python3", helper, "client", target,
            String(targetPort), String(count),
        ])
        print("many connections to \(target):\(targetPort): \(result.output)", terminator: "")
        return (result.status, result.output)
    }

    /// Deploys `chain` (its ports and stages; the metadata is added) live and runs it on its own
    /// thread; the caller stops and tears it down.
    static func deploy(_ name: String, _ chain: String, in directory: URL) throws -> (LiveChain, LiveChainTests.Running) {
        let chainFile = directory.appendingPathComponent("\(name).yaml")
        try "apiVersion: nfv/v1\nkind: Chain\nmetadata: { name: \(name) }\n\(chain)".write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        return (live, LiveChainTests.Running(live))
    }

    /// On one worker and on two: with two, each worker's NAT hands out only its own ports and
    /// a reply is steered to the worker owning its port (`WorkerSteering`).
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), arguments: [1, 2])
    func edgeGatewayFirewallRouterNAT(workers: Int) throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (lan, wan) = ("nfvt-mcl\(suffix)", "nfvt-mcw\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        // chains/edge-gateway.yaml with this test's own names.
        let (live, running) = try Self.deploy(
            "many-edge",
            """
            spec:
              ports:
                - { name: inside,  type: tap, ifname: nfvtmci\(suffix), namespace: \(lan), address: 10.0.1.10/24, gateway: 10.0.1.1, queues: \(workers) }
                - { name: outside, type: tap, ifname: nfvtmco\(suffix), namespace: \(wan), address: 198.51.100.1/30, queues: \(workers) }
              stages:
                - { name: fw,     vnf: firewall, config: \(configs)/edge-firewall.yaml }
                - { name: router, vnf: router,   config: \(configs)/edge-router.yaml }
                - { name: nat,    vnf: nat,      config: \(configs)/edge-nat.yaml }
            """, in: directory)
        defer {
            running.stop()
            live.tearDown()
        }
        let (status, report) = try Self.exchange(
            serverNamespace: wan, address: "198.51.100.1", ports: [8000], clientNamespace: lan,
            target: "198.51.100.1", targetPort: 8000)
        #expect(status == 0, "\(Self.count) connections through firewall -> router -> NAT on \(workers) worker(s): \(report)")
        running.stop()
        #expect(live.workerCount == workers)
        Self.expectEveryWorkerTook(live, stage: "nat")
        Self.expectNoConnectionRefusedOrLost(live)
    }

    /// Two workers (`queues: 2`) with the edge firewall -> router: each worker hands frames it
    /// does not own to the other, from both ports through one ring, and the chain runs a batch
    /// in one direction; TCP data flows both ways on every connection.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func edgeFirewallRouterOnTwoWorkers() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (lan, wan) = ("nfvt-mql\(suffix)", "nfvt-mqw\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        let (live, running) = try Self.deploy(
            "many-two-workers",
            """
            spec:
              ports:
                - { name: inside,  type: tap, ifname: nfvtmqi\(suffix), namespace: \(lan), address: 10.0.1.10/24, gateway: 10.0.1.1, queues: 2 }
                - { name: outside, type: tap, ifname: nfvtmqo\(suffix), namespace: \(wan), address: 198.51.100.1/30, queues: 2 }
              stages:
                - { name: fw,     vnf: firewall, config: \(configs)/edge-firewall.yaml }
                - { name: router, vnf: router,   config: \(configs)/edge-router.yaml }
            """, in: directory)
        defer {
            running.stop()
            live.tearDown()
        }
        #expect(live.workerCount == 2)
        // No NAT: the server needs the way back to the LAN.
        try HostCommand.check(["ip", "-n", wan, "route", "add", "10.0.1.0/24", "via", "198.51.100.2"])
        let (status, report) = try Self.exchange(
            serverNamespace: wan, address: "198.51.100.1", ports: [8000], clientNamespace: lan,
            target: "198.51.100.1", targetPort: 8000)
        #expect(status == 0, "\(Self.count) connections through firewall -> router on two workers: \(report)")
        running.stop()
        Self.expectNoConnectionRefusedOrLost(live)
    }

    /// On one worker and on two: with two, packets are steered by the client's endpoint, so a
    /// backend's reply meets the worker whose load balancer tracked the connection.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), arguments: [1, 2])
    func webFrontFirewallLoadBalancer(workers: Int) throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (clients, servers) = ("nfvt-mcc\(suffix)", "nfvt-mcs\(suffix)")
        let (clientDevice, serverDevice) = ("nfvtmcc\(suffix)", "nfvtmcs\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        // chains/web-front.yaml with this test's own names.
        let (live, running) = try Self.deploy(
            "many-web",
            """
            spec:
              ports:
                - { name: clients, type: tap, ifname: \(clientDevice), namespace: \(clients), address: 10.20.0.1/24, queues: \(workers) }
                - { name: servers, type: tap, ifname: \(serverDevice), namespace: \(servers), address: 10.20.0.2/24, queues: \(workers) }
              stages:
                - { name: fw, vnf: firewall,      config: \(configs)/web-front-firewall.yaml }
                - { name: lb, vnf: load-balancer, config: \(configs)/web-front-lb.yaml }
            """, in: directory)
        defer {
            running.stop()
            live.tearDown()
        }
        // No router in this chain: the clients reach the VIP at the servers' side's MAC (as the
        // chain's comment tells its users).
        let serverMAC = try HostCommand.check(["ip", "netns", "exec", servers, "cat", "/sys/class/net/\(serverDevice)/address"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try HostCommand.check(["ip", "-n", clients, "neigh", "replace", "10.20.0.100", "dev", clientDevice, "lladdr", serverMAC])
        let (status, report) = try Self.exchange(
            serverNamespace: servers, address: "10.20.0.2", ports: [8081, 8082],
            clientNamespace: clients, target: "10.20.0.100", targetPort: 80
        ) {
            // The health checks (1 s apart, rise 2) bring both backends up first.
            Thread.sleep(forTimeInterval: 3)
        }
        #expect(status == 0, "\(Self.count) connections through firewall -> load balancer on \(workers) worker(s): \(report)")
        running.stop()
        #expect(live.workerCount == workers)
        Self.expectEveryWorkerTook(live, stage: "lb")
        Self.expectNoConnectionRefusedOrLost(live)
        let balancer = try #require(live.counters().stages.first { $0.name == "lb" })
        #expect(balancer.drops.values.reduce(0, +) == 0, "\(balancer.drops)")
    }

    /// The firewall -> load balancer -> router -> NAT chain on two workers: clients reach a TCP
    /// VIP whose backend is beyond the NAT, so each connection is rewritten twice (destination
    /// by the load balancer, source by the NAT) and both rewrites' state must be on the worker
    /// that the reply reaches.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func loadBalancerAndNATOnTwoWorkers() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (lan, wan) = ("nfvt-m4l\(suffix)", "nfvt-m4w\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        try """
        apiVersion: nfv/v1
        kind: LoadBalancerConfig
        metadata: { name: vip }
        spec:
          clients: inside
          backends: outside
          services:
            - { name: web, vip: "198.51.100.100:80/tcp", mode: nat, backends: [{ name: wan-host, address: "198.51.100.1:8000" }] }
        """.write(to: directory.appendingPathComponent("lb.yaml"), atomically: true, encoding: .utf8)
        let (live, running) = try Self.deploy(
            "many-four",
            """
            spec:
              workers: 2
              ports:
                - { name: inside,  type: tap, ifname: nfvtm4i\(suffix), namespace: \(lan), address: 10.0.1.10/24, gateway: 10.0.1.1 }
                - { name: outside, type: tap, ifname: nfvtm4o\(suffix), namespace: \(wan), address: 198.51.100.1/30 }
              stages:
                - { name: fw,     vnf: firewall,      config: \(configs)/edge-firewall.yaml }
                - { name: lb,     vnf: load-balancer, config: lb.yaml }
                - { name: router, vnf: router,        config: \(configs)/edge-router.yaml }
                - { name: nat,    vnf: nat,           config: \(configs)/edge-nat.yaml }
            """, in: directory)
        defer {
            running.stop()
            live.tearDown()
        }
        let (status, report) = try Self.exchange(
            serverNamespace: wan, address: "198.51.100.1", ports: [8000], clientNamespace: lan,
            target: "198.51.100.100", targetPort: 80)
        #expect(status == 0, "\(Self.count) connections to a VIP through firewall -> LB -> router -> NAT on two workers: \(report)")
        running.stop()
        #expect(live.workerCount == 2)
        Self.expectEveryWorkerTook(live, stage: "lb")
        Self.expectEveryWorkerTook(live, stage: "nat")
        Self.expectNoConnectionRefusedOrLost(live)
    }

    /// Fragmented UDP through the edge firewall, the router and the NAT on two workers:
    /// 4,000-byte datagrams (three fragments each, cut by the client's kernel) from many source
    /// ports, and 4,000-byte answers cut by the server's. Later fragments carry no ports; they
    /// must reach the worker whose NAT translated their first fragment, both ways, and pass the
    /// firewall on their first fragment's verdict (its allow-dns rule matches only a first
    /// fragment), or the datagrams are lost.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func fragmentedDatagramsThroughNATOnTwoWorkers() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (lan, wan) = ("nfvt-mfl\(suffix)", "nfvt-mfw\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        let (live, running) = try Self.deploy(
            "many-fragments",
            """
            spec:
              workers: 2
              ports:
                - { name: inside,  type: tap, ifname: nfvtmfi\(suffix), namespace: \(lan), address: 10.0.1.10/24, gateway: 10.0.1.1 }
                - { name: outside, type: tap, ifname: nfvtmfo\(suffix), namespace: \(wan), address: 198.51.100.1/30 }
              stages:
                - { name: fw,     vnf: firewall, config: \(configs)/edge-firewall.yaml }
                - { name: router, vnf: router,   config: \(configs)/edge-router.yaml }
                - { name: nat,    vnf: nat,      config: \(configs)/edge-nat.yaml }
            """, in: directory)
        defer {
            running.stop()
            live.tearDown()
        }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "ip", "netns", "exec", wan, "python3", "-c",
            "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('198.51.100.1', 53))\n"
                + "while True:\n    d, a = s.recvfrom(65535)\n    s.sendto(d[::-1], a)",
        ]
        try server.run()
        defer { HostCommand.kill(server) }
        usleep(400_000)
        let client = try HostCommand.run([
            "ip", "netns", "exec", lan, "python3", "-c",
            """
            import os, socket
            answered = 0
            for _ in range(64):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(2)
                data = os.urandom(4000)
                s.sendto(data, ('198.51.100.1', 53))
                try:
                    answer, _ = s.recvfrom(65535)
                    answered += answer == data[::-1]
                except socket.timeout:
                    pass
                s.close()
            print('answered', answered)
            """,
        ])
        #expect(client.output.contains("answered 64"), "64 fragmented datagrams and their fragmented answers: \(client.output)")
        running.stop()
        #expect(live.workerCount == 2)
        Self.expectEveryWorkerTook(live, stage: "nat", atLeast: 64)
        Self.expectNoConnectionRefusedOrLost(live)
        let firewall = try #require(live.counters().stages.first { $0.name == "fw" })
        #expect(firewall.drops[.firewallFragment, default: 0] == 0, "no fragment lacked room to wait: \(firewall.drops)")
    }

    /// No stateful stage refused or lost a connection: no full table, no packet without its
    /// state (conntrack INVALID, no NAT mapping), no exhausted NAT port, no VIP without backend.
    static func expectNoConnectionRefusedOrLost(_ live: LiveChain) {
        let lost: [DropReason] = [.conntrackTableFull, .conntrackInvalid, .natPortsExhausted, .natNoMapping, .lbNoBackend, .lbTableFull]
        for stage in live.counters().stages {
            #expect(lost.allSatisfy { stage.drops[$0, default: 0] == 0 }, "\(stage.name): \(stage.drops)")
        }
    }

    /// Every worker's copy of `stage` carried part of the connections (with one worker, it).
    static func expectEveryWorkerTook(_ live: LiveChain, stage name: String, atLeast minimum: Int = count) {
        for (index, worker) in live.workerCounters().enumerated() {
            let stage = worker.stages.first { $0.name == name }
            #expect((stage?.transmitted ?? 0) > UInt64(minimum), "worker \(index)'s \(name) forwarded its share: \(stage?.transmitted ?? 0)")
        }
    }
}
