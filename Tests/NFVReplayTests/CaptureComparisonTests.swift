import Foundation
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

    /// One packet lost in the middle is one line, and the packets after it still match.
    @Test func aMissingPacketIsOneEntryAndTheRestStaysInStep() throws {
        let expected = try Fixtures.frames("ttl-expected.pcap")
        var actual = expected
        actual.remove(at: 9)
        let comparison = CaptureComparison(actual: actual, expected: expected)
        #expect(comparison.entries.count == 1, "\(comparison.entries)")
        guard case .missing(let number, let summary) = comparison.entries.first else {
            Issue.record("expected a missing packet: \(comparison.entries)")
            return
        }
        #expect(number == 10)
        #expect(summary.hasPrefix("ipv") && summary.hasSuffix("\(expected[9].bytes.count) bytes"), "\(summary)")
        let text = comparison.text(expectedPath: "x.pcap")
        #expect(text.split(separator: "\n").count == 2, "\(text)")
        #expect(text.contains("0 differ, 1 missing, 0 extra") && text.contains("expected packet 10 is missing: "), "\(text)")
    }

    /// An extra packet (a duplicate) is one line too.
    @Test func anExtraPacketIsOneEntry() throws {
        let expected = try Fixtures.frames("ttl-expected.pcap")
        var actual = expected
        actual.insert(expected[3], at: 15)
        let comparison = CaptureComparison(actual: actual, expected: expected)
        #expect(comparison.entries.count == 1, "\(comparison.entries)")
        if case .extra(let number, _) = comparison.entries.first { #expect(number == 16) } else { Issue.record("\(comparison.entries)") }
    }

    /// A changed packet is one line naming its fields; the rest stays in step.
    @Test func aChangedPacketIsOneLineWithItsFields() throws {
        let expected = try Fixtures.frames("ttl-expected.pcap")
        var actual = expected
        actual[4].bytes[actual[4].bytes.count - 1] ^= 0xFF
        actual[20].bytes[actual[20].bytes.count - 1] ^= 0xFF
        let comparison = CaptureComparison(actual: actual, expected: expected)
        #expect(comparison.entries.count == 2)
        let lines = comparison.text(expectedPath: "x.pcap").split(separator: "\n")
        #expect(lines.count == 3 && lines[1].hasPrefix("packet 5: payload "), "\(lines)")
    }

    @Test func timestampsAreComparedOnlyWhenAsked() throws {
        var actual = try Fixtures.frames("ttl-expected.pcap")
        let expected = actual
        actual[0].timestamp += 1_000
        #expect(CaptureComparison(actual: actual, expected: expected).matches, "capture times do not count by default")
        let comparison = CaptureComparison(actual: actual, expected: expected, comparingTime: true)
        #expect(comparison.differences.map(\.field) == ["frame.time"])
        #expect(CaptureComparison(actual: actual, expected: expected, ignoring: ["frame.time"], comparingTime: true).matches)
    }

    @Test func payloadChangesAreFound() throws {
        var actual = try Fixtures.frames("ttl-expected.pcap")
        let expected = actual
        actual[0].bytes[actual[0].bytes.count - 1] ^= 0xFF
        let comparison = CaptureComparison(actual: actual, expected: expected)
        #expect(comparison.differences.map(\.field) == ["payload"])
    }

    /// Ignored fields: packets that differ only there are the same.
    @Test func ignoredFieldsMakePacketsTheSame() throws {
        let expected = try Fixtures.frames("ttl-expected.pcap")
        var actual = expected
        actual[2].bytes[actual[2].bytes.count - 1] ^= 0xFF
        #expect(CaptureComparison(actual: actual, expected: expected, ignoring: ["payload"]).matches)
    }

    /// `--ignore` checks names against `PacketDissector.fieldNames`: every field the dissector
    /// finds in the fixture captures must be listed there.
    @Test func everyDissectedFieldIsAKnownName() throws {
        let directory = Fixtures.root.appendingPathComponent("Tests/Fixtures/packets")
        var seen: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".pcap") {
            for frame in try Fixtures.frames(file) {
                for field in PacketDissector.fields(of: frame.bytes) { seen.insert(field.name) }
            }
        }
        #expect(seen.count > 40, "the fixtures cover most fields: \(seen.count)")
        #expect(seen.subtracting(PacketDissector.fieldNames).isEmpty, "unlisted: \(seen.subtracting(PacketDissector.fieldNames))")
        #expect(PacketDissector.isKnown("ipv4") && PacketDissector.isKnown("ipv4.*") && PacketDissector.isKnown("frame.time"))
        #expect(!PacketDissector.isKnown("ipv4.tll") && !PacketDissector.isKnown("bogus"))
    }
}
