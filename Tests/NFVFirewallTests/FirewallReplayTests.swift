import Foundation
import NFVDescriptors
import NFVFirewall
import NFVIO
import NFVReplay
import NFVTestSupport
import Testing

/// The edge firewall (vnf-configs/edge-firewall.yaml) over scapy-built traffic on both sides:
/// what leaves each port must be exactly what scapy expects, including the RST and ICMP
/// unreachable the firewall sends, and the drops must be the ones the scenario names.
@Suite struct FirewallReplayTests {
    /// Writes a chain that reads the fixture captures and writes into `directory`.
    static func chain(in directory: URL) throws -> URL {
        let config = Fixtures.root.appendingPathComponent("vnf-configs/edge-firewall.yaml").path
        let file = directory.appendingPathComponent("chain.yaml")
        try """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: fw-test }
            spec:
              ports:
                - { name: inside,  type: pcap, rx: \(Fixtures.path("firewall-inside-rx.pcap")), tx: inside-tx.pcap }
                - { name: outside, type: pcap, rx: \(Fixtures.path("firewall-outside-rx.pcap")), tx: outside-tx.pcap }
              stages:
                - { name: fw, vnf: firewall, config: \(config) }
            """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    static func run(batchSize: Int) throws -> (report: ReplayReport, inside: [MemoryPort.Frame], outside: [MemoryPort.Frame]) {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let loaded = try ChainFactory.load(path: try chain(in: directory).path)
        let report = try Replayer.run(loaded, options: Replayer.Options(batchSize: batchSize))
        return (report,
                try PcapFileSource.readAll(path: directory.appendingPathComponent("inside-tx.pcap").path),
                try PcapFileSource.readAll(path: directory.appendingPathComponent("outside-tx.pcap").path))
    }

    @Test func statefulSessionsRejectsAndRelatedErrorsMatchScapy() throws {
        let (report, inside, outside) = try Self.run(batchSize: 256)
        let insideComparison = CaptureComparison(actual: inside, expected: try Fixtures.frames("firewall-inside-tx-expected.pcap"))
        let outsideComparison = CaptureComparison(actual: outside, expected: try Fixtures.frames("firewall-outside-tx-expected.pcap"))
        #expect(insideComparison.matches, "\(insideComparison.text(expectedPath: "inside"))")
        #expect(outsideComparison.matches, "\(outsideComparison.text(expectedPath: "outside"))")
        let summary = try #require(Fixtures.json("firewall-expected.json") as? [String: Any])
        let drops = try #require(summary["drops"] as? [String: Int])
        let firewall = try #require(report.stages.first { $0.name == "fw" })
        #expect(firewall.drops == drops.mapValues(UInt64.init))
        #expect(firewall.emitted == 2)
        #expect(firewall.received == firewall.transmitted + firewall.dropped + firewall.punted)
    }

    @Test func resultsDoNotDependOnBatchSize() throws {
        let whole = try Self.run(batchSize: 256)
        for size in [1, 2, 3, 7] {
            let split = try Self.run(batchSize: size)
            #expect(split.inside == whole.inside && split.outside == whole.outside, "batch size \(size)")
            #expect(split.report.stages == whole.report.stages, "batch size \(size)")
        }
    }
}
