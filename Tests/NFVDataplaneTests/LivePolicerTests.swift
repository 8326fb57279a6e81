import Foundation
import NFVCatalog
import NFVDataplane
import NFVTestSupport
import Testing

/// The policer between two namespaces with the kernels' own traffic: iperf3's TCP through a
/// two-rate policer whose peak rate (where red starts, dropped) is 100 Mbit/s measures within
/// 5% of that rate, and the counters per colour show the three colours.
@Suite(.serialized) struct LivePolicerTests {
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
        let stage = try #require(live.counters().stages.first { $0.name == "policer" })
        let colours = Dictionary(uniqueKeysWithValues: stage.extras.colours.map { ($0.colour, $0.packets) })
        #expect((colours["green"] ?? 0) > 0 && (colours["yellow"] ?? 0) > 0 && (colours["red"] ?? 0) > 0, "\(colours)")
        // Colours count wire packets (a super-frame as its segments); drops count the frames.
        let dropped = stage.drops[.policerDrop] ?? 0
        #expect(dropped > 0 && dropped <= colours["red"] ?? 0, "red dropped and counted: \(dropped) frames, \(colours["red"] ?? 0) packets")
        print("policer: iperf3 TCP \(received / 1e6) Mbit/s through a 100 Mbit/s peak rate (payload share \(expected / 1e6)); colours \(colours)")
    }
}
