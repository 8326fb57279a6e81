import Foundation
import NFVQoS
import NFVTestSupport
import Testing

/// The three-colour markers against an independent implementation of the RFCs' algorithms
/// (Tests/Fixtures/qos/three_colour_reference.py, written from RFC 2697, 2698 and 4115), on
/// the same scripted arrivals: every packet must get the same colour, blind and aware, in
/// bytes and in packets.
@Suite struct ThreeColourMarkerTests {
    /// Arrivals of `count` packets: sizes from 64 to 1518 bytes, gaps around `meanGap` ns,
    /// a precolour for the aware modes (from a fixed generator: the same run every time).
    static func arrivals(count: Int, meanGap: UInt64, seed: UInt64) -> [(time: UInt64, size: UInt64, precolour: PacketColour)] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var time: UInt64 = 5_000_000_000
        return (0..<count).map { _ in
            time += next() % (2 * meanGap)
            return (time, 64 + next() % 1455, PacketColour(rawValue: UInt8(next() % 3))!)
        }
    }

    static func reference(_ name: String, _ params: [UInt64], aware: Bool, packets: [(time: UInt64, size: UInt64, precolour: PacketColour)]) throws
        -> [String]
    {
        let request: [String: Any] = [
            "algorithm": name, "params": params, "aware": aware,
            "packets": packets.map { [$0.time, $0.size, $0.precolour.name] as [Any] },
        ]
        let input = try Fixtures.temporaryDirectory().appendingPathComponent("request.json")
        defer { try? FileManager.default.removeItem(at: input.deletingLastPathComponent()) }
        try JSONSerialization.data(withJSONObject: request).write(to: input)
        let script = Fixtures.root.appendingPathComponent("Tests/Fixtures/qos/three_colour_reference.py").path
        let result = try HostCommand.run(["sh", "-c", "python3 \(script) < \(input.path)"])
        try #require(result.status == 0, "\(result.output)")
        return result.output.split(whereSeparator: \.isWhitespace).map(String.init)
    }

    static let cases: [(name: String, algorithm: ThreeColourMarker.Algorithm, params: [UInt64])] = [
        // 1 Mbit/s committed (125 000 bytes/s), bursts of a few frames.
        ("srtcm", .singleRate(cir: 125_000, cbs: 3_000, ebs: 6_000), [125_000, 3_000, 6_000]),
        ("trtcm", .twoRate(cir: 125_000, cbs: 3_000, pir: 250_000, pbs: 6_000), [125_000, 3_000, 250_000, 6_000]),
        ("rfc4115", .twoRateExcess(cir: 125_000, cbs: 3_000, eir: 125_000, ebs: 6_000), [125_000, 3_000, 125_000, 6_000]),
    ]

    @Test(arguments: [false, true])
    func bytesMatchTheRFCs(aware: Bool) throws {
        // About 2 Mbit/s offered (790-byte frames every 3.2 ms on average): all three colours.
        let packets = Self.arrivals(count: 3000, meanGap: 3_200_000, seed: aware ? 7 : 3)
        for (name, algorithm, params) in Self.cases {
            var marker = ThreeColourMarker(algorithm)
            let colours = packets.map { marker.mark(size: $0.size, at: $0.time, precolour: aware ? $0.precolour : nil).name }
            let expected = try Self.reference(name, params, aware: aware, packets: packets)
            #expect(
                colours == expected,
                "\(name) \(aware ? "aware" : "blind"): first difference at \(colours.indices.first { $0 < expected.count && colours[$0] != expected[$0] } ?? -1)"
            )
            for colour in PacketColour.allCases {
                #expect(colours.contains(colour.name), "\(name): some packets are \(colour.name)")
            }
        }
    }

    @Test func packetsMatchTheRFCs() throws {
        // Rates in packets per second: 1000/s committed, 2000/s peak; 3000/s offered.
        let packets = Self.arrivals(count: 3000, meanGap: 333_333, seed: 11).map { ($0.time, UInt64(1), $0.precolour) }
        let cases: [(String, ThreeColourMarker.Algorithm, [UInt64])] = [
            ("srtcm", .singleRate(cir: 1000, cbs: 10, ebs: 20), [1000, 10, 20]),
            ("trtcm", .twoRate(cir: 1000, cbs: 10, pir: 2000, pbs: 20), [1000, 10, 2000, 20]),
            ("rfc4115", .twoRateExcess(cir: 1000, cbs: 10, eir: 1000, ebs: 20), [1000, 10, 1000, 20]),
        ]
        for (name, algorithm, params) in cases {
            var marker = ThreeColourMarker(algorithm)
            let colours = packets.map { marker.mark(size: $0.1, at: $0.0).name }
            #expect(colours == (try Self.reference(name, params, aware: false, packets: packets)), "\(name) in packets")
            let green = colours.filter { $0 == "green" }.count
            #expect(abs(Double(green) / 1000 - 1) < 0.05, "\(name): \(green) green of 3000 over about a second at 1000/s")
        }
    }
}
