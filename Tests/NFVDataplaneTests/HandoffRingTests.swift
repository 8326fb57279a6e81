import NFVDataplane
import NFVPacket
import Testing

/// A worker hands frames of both ports to another worker through one ring; the chain runs each
/// batch in the direction of its first packet's port, so a batch popped from the ring must hold
/// one port only, and the frames must come out in the order they went in.
@Suite struct HandoffRingTests {
    @Test(arguments: [1, 7, 256])
    func poppedBatchesHoldOnePortAndKeepTheOrder(limit: Int) {
        let ring = HandoffRing(capacity: 1024, slotByteCount: 128)
        // Runs of 1 to 5 frames per port, alternating: what a worker reading both TAPs hands over.
        var pushed: [(port: UInt16, marker: UInt8)] = []
        var port: UInt16 = 0
        var marker: UInt8 = 0
        for run in 0..<100 {
            for _ in 0..<(1 + run % 5) {
                let frame = [UInt8](repeating: marker, count: 64)
                #expect(frame.withUnsafeBytes { ring.push($0, inPort: port) })
                pushed.append((port, marker))
                marker &+= 1
            }
            port = 1 - port
        }
        let pool = PacketPool(slotCount: 512)
        let batch = PacketBatch(pool: pool)
        var popped: [(port: UInt16, marker: UInt8)] = []
        var batches = 0
        while ring.waitingCount > 0 {
            let taken = ring.pop(into: batch, limit: limit, timestamp: 0)
            #expect(taken > 0)
            let ports = Set((0..<batch.count).map { batch.metadata[$0].inPort })
            #expect(ports.count == 1, "batch \(batches) mixes ports \(ports)")
            for index in 0..<batch.count { popped.append((batch.metadata[index].inPort, batch.frame(index).loadByte(at: 0))) }
            batch.releaseAll()
            batches += 1
        }
        #expect(popped.map(\.port) == pushed.map(\.port) && popped.map(\.marker) == pushed.map(\.marker))
        #expect(pool.availableCount == 512)
    }
}
