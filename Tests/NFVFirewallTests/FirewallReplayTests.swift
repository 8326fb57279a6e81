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
    static func run(batchSize: Int) throws -> (report: ReplayReport, inside: [MemoryPort.Frame], outside: [MemoryPort.Frame]) {
        let result = try TwoPortReplay.run(
            fixture: "firewall", stage: "fw", vnf: "firewall", config: "vnf-configs/edge-firewall.yaml",
            batchSize: batchSize)
        return (result.report, result.inside, result.outside)
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
