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
        let port = 5_800 + Int(getpid() % 500)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["ip", "netns", "exec", "nfvt-pb\(suffix)", "iperf3", "-s", "-1", "-p", "\(port)"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { HostCommand.kill(server) }
        usleep(500_000)
        // Four seconds omitted: the buckets start full (7 Mbit of burst that TCP spends first).
        let client = try HostCommand.run([
            "ip", "netns", "exec", "nfvt-pa\(suffix)", "iperf3", "-c", "10.231.0.2", "-p", "\(port)", "-t", "10", "-O", "4", "-J",
        ])
        #expect(client.status == 0, "\(client.output.suffix(600))")
        let report = try JSONSerialization.jsonObject(with: Data(client.output.utf8)) as? [String: Any]
        let received = ((report?["end"] as? [String: Any])?["sum_received"] as? [String: Any])?["bits_per_second"] as? Double ?? 0
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
