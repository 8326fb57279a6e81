import NFVIO
import NFVPacket
import NFVPipeline
import Testing

/// Writes the stage's name into byte 16 + position of every packet it sees, so the order in
/// which stages ran is visible in the packet itself.
final class StampingStage: Stage {
    let name: String
    var kind: String { "stamping" }
    init(name: String) { self.name = name }
    func process(_ batch: PacketBatch, emit: PacketBatch) {
        for index in 0..<batch.count {
            let frame = batch.frame(index)
            var position = 16
            while frame.loadByte(at: position) != 0 { position += 1 }
            frame.storeByte(UInt8(ascii: name.unicodeScalars.first!), at: position)
        }
    }
}

/// Answers every packet whose marker byte is 0xEE with a copy sent back out of its in port.
final class EchoingStage: Stage {
    let name = "echo"
    var kind: String { "echoing" }
    func process(_ batch: PacketBatch, emit: PacketBatch) {
        for index in 0..<batch.count where batch.frame(index).loadByte(at: 14) == 0xEE {
            let entry = batch.metadata[index]
            _ = emit.appendCopy(of: batch.bytes(index), inPort: entry.inPort, timestamp: entry.timestamp)
            emit.metadata[emit.count - 1].outPort = entry.inPort
            batch.drop(index, reason: .notParsed)
        }
    }
}

@Suite struct DirectionTests {
    static func frame(marker: UInt8, timestamp: UInt64) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 60)
        bytes[12] = 0x88
        bytes[13] = 0xB5
        bytes[14] = marker
        return MemoryPort.Frame(bytes: bytes, timestamp: timestamp)
    }

    @Test func secondPortTrafficPassesStagesInReverseAndLeavesOnTheFirst() throws {
        let pool = PacketPool(slotCount: 64, slotByteCount: 256, headroom: 64)
        let chain = Chain(stages: [StampingStage(name: "a"), StampingStage(name: "b"), StampingStage(name: "c")], pool: pool)
        let inside = MemoryPort(frames: [Self.frame(marker: 1, timestamp: 1)], portNumber: 0)
        let outside = MemoryPort(frames: [Self.frame(marker: 2, timestamp: 2)], portNumber: 1)
        let pipeline = Pipeline(sources: [inside, outside], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool))
        try pipeline.runUntilExhausted()
        #expect(outside.transmitted.map { $0.bytes[14] } == [1])
        #expect(inside.transmitted.map { $0.bytes[14] } == [2])
        #expect(Array(outside.transmitted[0].bytes[16...18]) == Array("abc".utf8))
        #expect(Array(inside.transmitted[0].bytes[16...18]) == Array("cba".utf8))
        #expect(pool.availableCount == 64)
    }

    @Test func emittedPacketsLeaveOnTheirOutPortAndAreCounted() throws {
        let pool = PacketPool(slotCount: 64, slotByteCount: 256, headroom: 64)
        let chain = Chain(stages: [EchoingStage(), StampingStage(name: "z")], pool: pool)
        let inside = MemoryPort(frames: [Self.frame(marker: 0xEE, timestamp: 1), Self.frame(marker: 3, timestamp: 2)], portNumber: 0)
        let outside = MemoryPort(portNumber: 1)
        let pipeline = Pipeline(sources: [inside], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool))
        try pipeline.runUntilExhausted()
        #expect(inside.transmitted.map { $0.bytes[14] } == [0xEE])
        #expect(inside.transmitted.first?.bytes[16] == 0, "an emitted packet skips the stages after its stage")
        #expect(outside.transmitted.map { $0.bytes[14] } == [3])
        #expect(chain.counters[0].emitted == 1)
        #expect(pool.availableCount == 64)
    }

    @Test func packetsToAPortWithoutSinkAreCountedAndFreed() throws {
        let pool = PacketPool(slotCount: 16, slotByteCount: 256, headroom: 64)
        let chain = Chain(stages: [StampingStage(name: "a")], pool: pool)
        let inside = MemoryPort(frames: [Self.frame(marker: 1, timestamp: 1)], portNumber: 0)
        let pipeline = Pipeline(sources: [inside], chain: chain, sinks: [inside, nil], batch: PacketBatch(pool: pool))
        try pipeline.runUntilExhausted()
        #expect(pipeline.unsentCounters.transmittedPackets == 1)
        #expect(pool.availableCount == 16)
    }
}
