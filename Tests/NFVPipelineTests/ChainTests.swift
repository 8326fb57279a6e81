import NFVIO
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

/// A stage that drops packets whose first payload byte is odd and punts those equal to 0x02:
/// enough to exercise compaction, punting and counters.
final class MarkingStage: Stage {
    let name: String
    var kind: String { "marking" }
    init(name: String) { self.name = name }
    func process(_ batch: PacketBatch, emit: PacketBatch) {
        for index in 0..<batch.count {
            let marker = batch.frame(index).loadByte(at: 14)
            if marker & 1 == 1 {
                batch.drop(index, reason: .notParsed)
            } else if marker == 2 {
                batch.punt(index)
            }
        }
    }
}

/// Keeps copies of what it is asked to record.
final class CollectingRecorder: PacketRecorder, PacketSink {
    var frames: [[UInt8]] = []
    let counters = PortCounters()
    func record(_ batch: PacketBatch) throws(PortError) {
        for index in 0..<batch.count { frames.append(Array(batch.bytes(index))) }
    }
    func transmit(_ batch: PacketBatch) throws(PortError) {
        try record(batch)
        batch.releaseAll()
    }
}

/// A small deterministic generator (SplitMix64) so random splits are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ChainTests {
    static func frame(marker: UInt8, index: Int) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 60)
        bytes[12] = 0x88
        bytes[13] = 0xB5  // local experimental EtherType: not IP
        bytes[14] = marker
        bytes[15] = UInt8(index)
        return MemoryPort.Frame(bytes: bytes, timestamp: UInt64(index))
    }

    @Test func compactionKeepsOrderAndEveryPacketIsAccountedFor() throws {
        let pool = PacketPool(slotCount: 64, slotByteCount: 256, headroom: 64)
        let marking = MarkingStage(name: "mark")
        let after = PassThroughStage(name: "after")
        let chain = Chain(stages: [marking, after], pool: pool)
        let punts = CollectingRecorder()
        chain.puntSink = punts
        let markers: [UInt8] = [0, 1, 2, 3, 4, 5, 0, 2, 7, 8]
        let input = MemoryPort(frames: markers.enumerated().map { Self.frame(marker: $1, index: $0) })
        let output = MemoryPort()
        let pipeline = Pipeline(source: input, chain: chain, sink: output, batch: PacketBatch(pool: pool))
        try pipeline.runUntilExhausted()
        let counters = chain.counters[0]
        #expect(counters.received == 10)
        #expect(counters.transmitted == 4)
        #expect(counters.punted == 2)
        #expect(counters.drops[.notParsed] == 4)
        #expect(counters.received == counters.transmitted + counters.punted + counters.drops.total)
        #expect(chain.counters[1].received == 4 && chain.counters[1].transmitted == 4)
        #expect(output.transmitted.map { $0.bytes[15] } == [0, 4, 6, 9])  // survivors in arrival order
        #expect(punts.frames.map { $0[15] } == [2, 7])
        #expect(pool.availableCount == 64, "every buffer went back to the pool")
    }

    @Test func tracePointsRecordInputAndStageOutput() throws {
        let pool = PacketPool(slotCount: 64, slotByteCount: 256, headroom: 64)
        let chain = Chain(stages: [MarkingStage(name: "mark")], pool: pool)
        let rx = CollectingRecorder()
        let marked = CollectingRecorder()
        #expect(chain.setTrace(at: "rx", recorder: rx))
        #expect(chain.setTrace(at: "mark", recorder: marked))
        #expect(!chain.setTrace(at: "nope", recorder: marked))
        let input = MemoryPort(frames: (0..<6).map { Self.frame(marker: UInt8($0), index: $0) })
        let output = MemoryPort()
        try Pipeline(source: input, chain: chain, sink: output, batch: PacketBatch(pool: pool)).runUntilExhausted()
        #expect(rx.frames.count == 6)
        #expect(marked.frames == output.transmitted.map(\.bytes))
        #expect(marked.frames.map { $0[14] } == [0, 4])
    }

    @Test func ttlStageWithoutParsingDropsAsNotParsed() throws {
        let pool = PacketPool(slotCount: 16, slotByteCount: 256, headroom: 64)
        let chain = Chain(stages: [DecrementTTLStage(name: "ttl")], pool: pool)
        let input = MemoryPort(frames: [Self.frame(marker: 0, index: 0)])
        let output = MemoryPort()
        try Pipeline(source: input, chain: chain, sink: output, batch: PacketBatch(pool: pool)).runUntilExhausted()
        #expect(chain.counters[0].drops[.notParsed] == 1)
        #expect(output.transmitted.isEmpty)
    }

    /// Runs parse -> ttl -> two pass-through stages over the scapy-built mixed capture.
    static func runTTLChain(splitting sizes: @escaping () -> Int) throws -> (frames: [MemoryPort.Frame], counters: [String]) {
        let pool = PacketPool(slotCount: 1024, slotByteCount: 2048)
        let chain = Chain(
            stages: [
                ParseStage(name: "parse"), DecrementTTLStage(name: "ttl"),
                PassThroughStage(name: "a"), PassThroughStage(name: "b"),
            ], pool: pool)
        let input = MemoryPort(frames: try Fixtures.frames("ttl-in.pcap"))
        let output = MemoryPort()
        try Pipeline(source: input, chain: chain, sink: output, batch: PacketBatch(pool: pool)).runUntilExhausted(nextBatchSize: sizes)
        #expect(pool.availableCount == 1024)
        let counters = zip(chain.stages, chain.counters).map { stage, counters in
            "\(stage.name) rx=\(counters.received) tx=\(counters.transmitted) punt=\(counters.punted) "
                + counters.drops.nonZero.map { "\($0.reason)=\($0.count)" }.joined(separator: ",")
        }
        return (output.transmitted, counters)
    }

    /// The TTL chain's output is byte for byte what scapy built (TTL - 1 with a freshly computed
    /// checksum, hop limit - 1, everything else identical), and the drops are the ones
    /// ttl-expected.json lists.
    @Test func ttlChainOutputEqualsScapysExpectation() throws {
        let (frames, counters) = try Self.runTTLChain { 256 }
        let expected = try Fixtures.frames("ttl-expected.pcap")
        #expect(frames.count == expected.count)
        for (index, (actual, wanted)) in zip(frames, expected).enumerated() {
            #expect(actual.bytes == wanted.bytes, "packet \(index + 1)")
            #expect(actual.timestamp / 1000 == wanted.timestamp / 1000, "packet \(index + 1) timestamp")
        }
        let summary = try #require(Fixtures.json("ttl-expected.json") as? [String: Any])
        let drops = try #require(summary["drops"] as? [String: Int])
        let parseDrops = drops.filter { !$0.key.hasSuffix("expired") }.map { "\($0.key)=\($0.value)" }.sorted()
        let ttlDrops = drops.filter { $0.key.hasSuffix("expired") }.map { "\($0.key)=\($0.value)" }.sorted()
        #expect(counters[0].hasSuffix(parseDrops.joined(separator: ",")))
        #expect(counters[1].split(separator: " ").last.map { $0.split(separator: ",").map(String.init).sorted() } == ttlDrops)
    }

    /// One batch, batches of one and random splits give identical output and counters.
    @Test func resultsDoNotDependOnWhereBatchesSplit() throws {
        let whole = try Self.runTTLChain { 256 }
        let singles = try Self.runTTLChain { 1 }
        #expect(singles.frames == whole.frames)
        #expect(singles.counters == whole.counters)
        for seed in [1, 7, 42, 1234, 99_999] as [UInt64] {
            var generator = SeededGenerator(state: seed)
            let random = try Self.runTTLChain { Int.random(in: 1...9, using: &generator) }
            #expect(random.frames == whole.frames, "seed \(seed)")
            #expect(random.counters == whole.counters, "seed \(seed)")
        }
    }
}

/// Drops and punts packets at the positions listed in `verdicts` (by the frame's index byte).
final class ScriptedStage: Stage {
    let name = "scripted"
    var kind: String { "scripted" }
    var verdicts: [UInt8: Verdict] = [:]
    func process(_ batch: PacketBatch, emit: PacketBatch) {
        for index in 0..<batch.count {
            switch verdicts[batch.frame(index).loadByte(at: 15)] {
            case .drop: batch.drop(index, reason: .ttlExpired)
            case .punt: batch.punt(index)
            default: break
            }
        }
    }
}

@Suite struct CompactionTests {
    /// Random verdict patterns over full batches: the survivors are exactly the forwarded
    /// packets in order (a plain filter is the reference), punts go aside in order.
    @Test func randomVerdictPatternsMatchAFilter() throws {
        var generator = SeededGenerator(state: 2026)
        for round in 0..<300 {
            let pool = PacketPool(slotCount: 600, slotByteCount: 256, headroom: 64)
            let stage = ScriptedStage()
            let chain = Chain(stages: [stage], pool: pool)
            let punts = CollectingRecorder()
            chain.puntSink = punts
            let dropShare = [0, 1, 5, 50, 95, 100][round % 6]
            var frames: [MemoryPort.Frame] = []
            for index in 0..<256 {
                frames.append(ChainTests.frame(marker: 0, index: index))
                let roll = Int.random(in: 0..<100, using: &generator)
                if roll < dropShare {
                    stage.verdicts[UInt8(index)] = Bool.random(using: &generator) ? .drop : .punt
                }
            }
            let output = MemoryPort()
            try Pipeline(source: MemoryPort(frames: frames), chain: chain, sink: output, batch: PacketBatch(pool: pool))
                .runUntilExhausted()
            let expectedKept = (0..<256).filter { stage.verdicts[UInt8($0)] == nil }.map(UInt8.init)
            let expectedPunted = (0..<256).filter { stage.verdicts[UInt8($0)] == .punt }.map(UInt8.init)
            #expect(output.transmitted.map { $0.bytes[15] } == expectedKept, "round \(round)")
            #expect(output.transmitted.map(\.timestamp) == expectedKept.map(UInt64.init), "metadata moved with its packet")
            #expect(punts.frames.map { $0[15] } == expectedPunted)
            #expect(chain.counters[0].drops[.ttlExpired] == UInt64(256 - expectedKept.count - expectedPunted.count))
            #expect(pool.availableCount == 600)
        }
    }
}
