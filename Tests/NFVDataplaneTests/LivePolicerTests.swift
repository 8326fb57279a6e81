import Foundation
import NFVCatalog
import NFVDataplane
import NFVTestSupport
import Testing

/// The policer between two namespaces with the kernels' own traffic: iperf3's TCP through a
/// two-rate policer whose peak rate (where red starts, dropped) is 100 Mbit/s measures within
/// 5% of that rate, and the counters per colour show the three colours.
@Suite(.serialized) struct LivePolicerTests {
    /// Packets of each colour policer stage `stage` counted so far.
    static func colours(_ live: LiveChain, stage: String) throws -> [String: UInt64] {
        let counters = try #require(live.counters().stages.first { $0.name == stage })
        return Dictionary(uniqueKeysWithValues: counters.extras.colours.map { ($0.colour, $0.packets) })
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func tcpThroughATwoRatePolicerHoldsThePeakRate() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/iperf3"), "make deps installs iperf3")
        let suffix = String(getpid() % 100_000)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // CIR 50 Mbit/s green, up to PIR 100 Mbit/s yellow (remarked AF12), above it red and
        // dropped; bursts 300 ms at each rate, what TCP needs through a policer.
        try """
        apiVersion: nfv/v1
        kind: PolicerConfig
        metadata: { name: p100 }
        spec:
          marker: trTCM
          committed: { rate: 50M, burst: 1875000 }
          peak: { rate: 100M, burst: 3750000 }
          actions: { green: pass, yellow: { dscp: 12 }, red: drop }
        """.write(to: directory.appendingPathComponent("policer.yaml"), atomically: true, encoding: .utf8)
        let chainFile = directory.appendingPathComponent("chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: policer-test }
        spec:
          ports:
            - { name: a, type: tap, ifname: nfvtpa\(suffix), namespace: nfvt-pa\(suffix), address: 10.231.0.1/24 }
            - { name: b, type: tap, ifname: nfvtpb\(suffix), namespace: nfvt-pb\(suffix), address: 10.231.0.2/24 }
          stages:
            - { name: policer, vnf: policer, config: policer.yaml }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        let running = LiveChainTests.Running(live)
        defer {
            running.stop()
            live.tearDown()
        }
        // Four seconds omitted: the buckets start full (30 Mbit in the peak bucket, which TCP spends first).
        let received = try IperfThroughput.tcp(
            client: "nfvt-pa\(suffix)", server: "nfvt-pb\(suffix)", address: "10.231.0.2", port: 5_800 + Int(getpid() % 500), seconds: 10,
            omit: 4)
        // The policer counts frames: 1514 bytes for 1448 of TCP payload.
        let expected = 100_000_000.0 * 1448 / 1514
        #expect(abs(received / expected - 1) < 0.05, "iperf3 measured \(received / 1e6) Mbit/s; 100 Mbit/s of frames is \(expected / 1e6) of payload")
        let colours = try Self.colours(live, stage: "policer")
        #expect((colours["green"] ?? 0) > 0 && (colours["yellow"] ?? 0) > 0 && (colours["red"] ?? 0) > 0, "\(colours)")
        // Colours count wire packets (a super-frame as its segments); drops count the frames.
        let dropped = try #require(live.counters().stages.first { $0.name == "policer" }).drops[.policerDrop] ?? 0
        #expect(dropped > 0 && dropped <= colours["red"] ?? 0, "red dropped and counted: \(dropped) frames, \(colours["red"] ?? 0) packets")
        print("policer: iperf3 TCP \(received / 1e6) Mbit/s through a 100 Mbit/s peak rate (payload share \(expected / 1e6)); colours \(colours)")
    }

    /// A packets-per-second policer as a chain's `qos:` section: 64-byte UDP frames (18 bytes of
    /// iperf3 payload) at 40,000 per second into a two-rate policer with a peak of 20,000 per
    /// second arrive at 20,000 a second within 5%; the same traffic the other way (iperf3 -R,
    /// entering on the second port) is not the forward policer's and arrives whole.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func aPacketRatePolicerInAQoSSectionHoldsSmallUDP() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        apiVersion: nfv/v1
        kind: PolicerConfig
        metadata: { name: pps }
        spec:
          marker: trTCM
          unit: packets
          committed: { rate: 10000, burst: 1000 }
          peak: { rate: 20000, burst: 2000 }
          actions: { green: pass, yellow: pass, red: drop }
        """.write(to: directory.appendingPathComponent("pps.yaml"), atomically: true, encoding: .utf8)
        let (client, server) = ("nfvt-qa\(suffix)", "nfvt-qb\(suffix)")
        let chainFile = directory.appendingPathComponent("chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: qos-test }
        spec:
          qos: { forward: pps.yaml }
          ports:
            - { name: a, type: tap, ifname: nfvtqa\(suffix), namespace: \(client), address: 10.232.0.1/24 }
            - { name: b, type: tap, ifname: nfvtqb\(suffix), namespace: \(server), address: 10.232.0.2/24 }
          stages:
            - { name: pass, vnf: pass-through }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let loaded = try LoadedChain.load(path: chainFile.path)
        #expect(loaded.descriptor.stages.map(\.name) == ["qos-forward", "pass"])
        let live = try LiveChain(loaded: loaded)
        let running = LiveChainTests.Running(live)
        defer {
            running.stop()
            live.tearDown()
        }
        let port = 5_900 + Int(getpid() % 500)
        // Two seconds omitted: the buckets start full (2,000 packets in the peak bucket).
        let forward = try IperfThroughput.udp(
            client: client, server: server, address: "10.232.0.2", port: port, seconds: 6, omit: 2, length: 18, packetsPerSecond: 40_000)
        #expect(forward.sent > 30_000, "iperf3 offered well above the peak rate: \(forward.sent) a second")
        let kernel = try HostCommand.run(["ip", "netns", "exec", server, "nstat", "-az", "UdpInErrors", "UdpRcvbufErrors", "UdpInDatagrams"]).output
        #expect(
            abs(forward.received / 20_000 - 1) < 0.05,
            "\(forward.received) packets a second through a 20,000 a second peak; port b \(live.counters().ports[1]); \(kernel)")
        let colours = try Self.colours(live, stage: "qos-forward")
        #expect((colours["green"] ?? 0) > 0 && (colours["yellow"] ?? 0) > 0 && (colours["red"] ?? 0) > 0, "\(colours)")
        let policed = colours.values.reduce(0, +)
        let reverse = try IperfThroughput.udp(
            client: client, server: server, address: "10.232.0.2", port: port, seconds: 3, omit: 1, length: 18, packetsPerSecond: 15_000,
            reverse: true)
        #expect(reverse.received > 0.95 * reverse.sent, "reverse traffic is not the forward policer's: \(reverse)")
        let after = try Self.colours(live, stage: "qos-forward").values.reduce(0, +)
        #expect(after - policed < 100, "the reverse datagrams passed the stage uncounted (only iperf3's control packets and ARP)")
        print("qos: 64-byte UDP offered \(Int(forward.sent))/s, received \(Int(forward.received))/s through a 20,000/s peak; colours \(colours)")
    }

    /// An egress shaper on a port: iperf3's TCP out of that port holds the shaper's 50 Mbit/s
    /// of frames within 5%, and UDP offered at twice the rate arrives at the rate with the
    /// excess dropped as `shaper_queue_full` once the queue is full; a ping beside the UDP
    /// waits at most the queue's length (256 frames at 50 Mbit/s: 62 ms).
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func anEgressShaperHoldsItsRateWithABoundedQueue() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (client, server) = ("nfvt-sha\(suffix)", "nfvt-shb\(suffix)")
        let chainFile = directory.appendingPathComponent("chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: shaper-test }
        spec:
          ports:
            - { name: a, type: tap, ifname: nfvtsha\(suffix), namespace: \(client), address: 10.233.0.1/24 }
            - { name: b, type: tap, ifname: nfvtshb\(suffix), namespace: \(server), address: 10.233.0.2/24, shaper: { rate: 50M, queue: 256 } }
          stages:
            - { name: pass, vnf: pass-through }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        let running = LiveChainTests.Running(live)
        defer {
            running.stop()
            live.tearDown()
        }
        let port = 6_400 + Int(getpid() % 500)
        let tcp = try IperfThroughput.tcp(client: client, server: server, address: "10.233.0.2", port: port, seconds: 6, omit: 2)
        // The shaper counts frames: 1514 bytes for 1448 of TCP payload.
        let expected = 50_000_000.0 * 1448 / 1514
        #expect(abs(tcp / expected - 1) < 0.05, "iperf3 TCP \(tcp / 1e6) Mbit/s; 50 Mbit/s of frames is \(expected / 1e6) of payload")

        // UDP at twice the rate, with a ping beside it through the same queue.
        let pinger = Process()
        pinger.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        pinger.arguments = ["ip", "netns", "exec", client, "ping", "-c", "20", "-i", "0.2", "-W", "1", "10.233.0.2"]
        let pings = Pipe()
        pinger.standardOutput = pings
        pinger.standardError = FileHandle.nullDevice
        let before = live.counters().ports[1].drops[.shaperQueueFull] ?? 0
        let udp = try IperfThroughput.udp(
            client: client, server: server, address: "10.233.0.2", port: port, seconds: 5, omit: 1, length: 1400,
            packetsPerSecond: 100_000_000 / (1400 * 8)
        ) { try pinger.run() }
        pinger.waitUntilExit()
        let pingOutput = String(decoding: pings.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // 1400 bytes of UDP payload are 1442-byte frames.
        let udpRate = udp.received * 1442 * 8
        #expect(abs(udpRate / 50_000_000 - 1) < 0.05, "UDP frames arrived at \(udpRate / 1e6) Mbit/s through a 50 Mbit/s shaper")
        let dropped = (live.counters().ports[1].drops[.shaperQueueFull] ?? 0) - before
        #expect(dropped > 0, "the excess found the queue full and was counted")
        let rtts = pingOutput.split(separator: "\n").compactMap { line in
            line.range(of: "time=").flatMap { Double(line[$0.upperBound...].prefix { $0.isNumber || $0 == "." }) }
        }
        #expect(!rtts.isEmpty, "\(pingOutput)")
        #expect((rtts.max() ?? 1000) < 62 + 30, "a ping waits at most the queue's length: \(rtts)")
        print(
            "shaper: TCP \(tcp / 1e6) Mbit/s of payload through 50 Mbit/s; UDP frames \(udpRate / 1e6) Mbit/s, \(dropped) dropped; "
                + "ping under load \(rtts.min() ?? 0)-\(rtts.max() ?? 0) ms")
    }
}
