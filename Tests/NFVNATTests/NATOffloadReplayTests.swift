import NFVIO
import NFVReplay
import NFVTestSupport
import Testing

/// TSO super-frames as a capture on an offloading TAP holds them (IP packets of up to 24 KB with
/// partial checksums, built by scapy in Tests/Fixtures/generate.py, offload_traffic) through the
/// NAT: each must leave as the segments the kernel's tcp_gso_segment would cut (1448 bytes,
/// sequence numbers advanced, FIN/PSH on the last, CWR on the first), translated, with every
/// checksum complete, exactly as scapy computed them.
@Suite struct NATOffloadReplayTests {
    static func run(batchSize: Int) throws -> TwoPortReplay.Result {
        try TwoPortReplay.run(fixture: "offload", stage: "nat", vnf: "nat", config: "Tests/Fixtures/nat/nat.yaml", batchSize: batchSize)
    }

    @Test func superFramesLeaveSegmentedTranslatedAndChecksummed() throws {
        let result = try Self.run(batchSize: 256)
        let inside = CaptureComparison(actual: result.inside, expected: try Fixtures.frames("offload-inside-tx-expected.pcap"))
        let outside = CaptureComparison(actual: result.outside, expected: try Fixtures.frames("offload-outside-tx-expected.pcap"))
        #expect(inside.matches, "\(inside.text(expectedPath: "inside"))")
        #expect(outside.matches, "\(outside.text(expectedPath: "outside"))")
        #expect(result.outside.count == 1 + 14 + 3, "the SYN, then 20,000 and 4,000 bytes in 1448-byte segments")
        let nat = try #require(result.report.stages.first { $0.name == "nat" })
        #expect(nat.drops.isEmpty, "\(nat.drops)")
    }

    @Test func segmentsDoNotDependOnBatchSize() throws {
        let whole = try Self.run(batchSize: 256)
        for size in [1, 2] {
            let split = try Self.run(batchSize: size)
            #expect(split.inside == whole.inside && split.outside == whole.outside, "batch size \(size)")
        }
    }

    /// The same capture declared as taken on a link of MTU 9000 (`mtu: 9000` on the capture
    /// ports): the 20,000-byte super-frame is cut at 9000 - 20 - 32 = 8,948 bytes of payload;
    /// the 4,000-byte frame fits that link and passes whole.
    @Test func aCapturePortsMTUSetsTheSegmentSize() throws {
        let result = try TwoPortReplay.run(
            fixture: "offload", stage: "nat", vnf: "nat", config: "Tests/Fixtures/nat/nat.yaml", batchSize: 256, captureMTU: 9000)
        let lengths = result.outside.map(\.bytes.count)
        #expect(lengths.count == 5, "the SYN, three segments, the 4,000-byte frame: \(lengths)")
        #expect(Array(lengths.dropFirst().prefix(3)) == [66 + 8948, 66 + 8948, 66 + 20_000 - 2 * 8948], "\(lengths)")
    }
}
