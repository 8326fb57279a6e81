import NFVPacket
import Testing

@Suite struct PacketPoolTests {
    @Test func allocatesEverySlotOnceThenReportsExhaustion() {
        let pool = PacketPool(slotCount: 8, slotByteCount: 256, headroom: 64)
        var ids = Set<UInt32>()
        while let id = pool.allocate() { ids.insert(id) }
        #expect(ids == Set(0..<8))
        #expect(pool.availableCount == 0)
        #expect(pool.allocate() == nil)
        for id in ids { pool.release(id) }
        #expect(pool.availableCount == 8)
        #expect(pool.slot(3) - pool.slot(2) == 256)
        #expect(Int(bitPattern: pool.base) % 64 == 0)
    }

    @Test func batchCopiesFramesAndCountsVerdicts() {
        let pool = PacketPool(slotCount: 4, slotByteCount: 256, headroom: 64)
        let batch = PacketBatch(pool: pool, capacity: 3)
        let frame: [UInt8] = Array(0..<60)
        for index in 0..<3 {
            let result = frame.withUnsafeBytes { batch.appendCopy(of: $0, inPort: 7, timestamp: UInt64(index)) }
            #expect(result == .appended)
        }
        #expect(frame.withUnsafeBytes { batch.appendCopy(of: $0, inPort: 0, timestamp: 0) } == .batchFull)
        #expect(Array(batch.bytes(1)) == frame)
        #expect(batch.metadata[2].inPort == 7 && batch.metadata[2].timestamp == 2)
        #expect(batch.metadata[0].dataOffset == 64)
        batch.drop(1, reason: .ttlExpired)
        batch.drop(1, reason: .ttlExpired)  // a second verdict on the same packet counts once
        batch.punt(2)
        #expect(batch.notForwardedCount == 2)
        let big = [UInt8](repeating: 0, count: 193)
        let other = PacketBatch(pool: pool)
        #expect(big.withUnsafeBytes { other.appendCopy(of: $0, inPort: 0, timestamp: 0) } == .frameTooLarge)
        #expect(frame.withUnsafeBytes { other.appendCopy(of: $0, inPort: 0, timestamp: 0) } == .appended)
        #expect(frame.withUnsafeBytes { other.appendCopy(of: $0, inPort: 0, timestamp: 0) } == .poolExhausted)
        batch.releaseAll()
        other.releaseAll()
        #expect(pool.availableCount == 4)
    }
}
