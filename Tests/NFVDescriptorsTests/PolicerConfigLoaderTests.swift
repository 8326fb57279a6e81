import NFVDescriptors
import NFVQoS
import Testing

/// `kind: PolicerConfig`: the shipped shapes load to the marker the RFCs name, and every mistake
/// is reported at its line and column with a fix.
@Suite struct PolicerConfigLoaderTests {
    static func errors(_ text: String) -> [String] {
        do {
            _ = try PolicerConfigLoader().parse(text, file: "p.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    static let header = """
        apiVersion: nfv/v1
        kind: PolicerConfig
        metadata: { name: p }
        spec:

        """

    @Test func aTwoRatePolicerLoadsInBytesPerSecond() throws {
        let loaded = try PolicerConfigLoader().parse(
            Self.header + """
                  marker: trTCM
                  committed: { rate: 100M, burst: 3750000 }
                  peak: { rate: 120Mbit, burst: 4500000 }
                  actions: { yellow: { dscp: 12 } }
                """, file: "p.yaml")
        let configuration = loaded.configuration
        #expect(configuration.algorithm == .twoRate(cir: 12_500_000, cbs: 3_750_000, pir: 15_000_000, pbs: 4_500_000))
        #expect(configuration.green == .pass && configuration.yellow == .markDSCP(12) && configuration.red == .drop)
    }

    @Test func mistakesNameTheirPlace() {
        let badRate = Self.errors(Self.header + "  marker: srTCM\n  committed: { rate: fast, burst: 3000 }\n")
        #expect(badRate.contains { $0.hasPrefix("p.yaml:6:") && $0.contains("spec.committed.rate") && $0.contains("100M") }, "\(badRate)")
        let peakBelow = Self.errors(Self.header + "  marker: trTCM\n  committed: { rate: 10M, burst: 3000 }\n  peak: { rate: 5M, burst: 3000 }\n")
        #expect(peakBelow.contains { $0.hasPrefix("p.yaml:7:") && $0.contains("PIR >= CIR") }, "\(peakBelow)")
        let noPeak = Self.errors(Self.header + "  marker: trTCM\n  committed: { rate: 10M, burst: 3000 }\n")
        #expect(noPeak.contains { $0.contains("spec.peak") && $0.contains("needs its peak bucket") }, "\(noPeak)")
        let wrongBucket = Self.errors(Self.header + "  marker: srTCM\n  committed: { rate: 10M, burst: 3000 }\n  peak: { rate: 20M, burst: 3000 }\n")
        #expect(wrongBucket.contains { $0.hasPrefix("p.yaml:7:") && $0.contains("no peak bucket") && $0.contains("excess:") }, "\(wrongBucket)")
        let badMarker = Self.errors(Self.header + "  marker: trtcm\n  committed: { rate: 10M, burst: 3000 }\n")
        #expect(badMarker.contains { $0.hasPrefix("p.yaml:5:") && $0.contains("did you mean \"trTCM\"") }, "\(badMarker)")
        let badAction = Self.errors(Self.header + "  marker: srTCM\n  committed: { rate: 10M, burst: 3000 }\n  actions: { red: dorp }\n")
        #expect(badAction.contains { $0.hasPrefix("p.yaml:7:") && $0.contains("did you mean \"drop\"") }, "\(badAction)")
    }
}
