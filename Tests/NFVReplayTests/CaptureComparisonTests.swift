import NFVIO
import NFVReplay
import NFVTestSupport
import Testing

@Suite struct CaptureComparisonTests {
    @Test func missingAndExtraPacketsAreReported() throws {
        let expected = try Fixtures.frames("ttl-expected.pcap")
        let comparison = CaptureComparison(actual: Array(expected.dropLast(2)), expected: expected)
        #expect(!comparison.matches)
        #expect(comparison.differingPacketCount == 2)
        #expect(comparison.differences.first?.description == "packet 27: packet missing != present")
    }

    @Test func timestampsAreCompared() throws {
        var actual = try Fixtures.frames("ttl-expected.pcap")
        let expected = actual
        actual[0].timestamp += 1_000
        let comparison = CaptureComparison(actual: actual, expected: expected)
        #expect(comparison.differences.map(\.field) == ["frame.time"])
        #expect(CaptureComparison(actual: actual, expected: expected, ignoring: ["frame.time"]).matches)
    }

    @Test func payloadChangesAreFound() throws {
        var actual = try Fixtures.frames("ttl-expected.pcap")
        let expected = actual
        actual[0].bytes[actual[0].bytes.count - 1] ^= 0xFF
        let comparison = CaptureComparison(actual: actual, expected: expected)
        #expect(comparison.differences.map(\.field) == ["payload"])
    }
}
