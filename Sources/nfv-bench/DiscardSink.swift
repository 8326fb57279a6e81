import NFVPacket
import NFVPipeline

/// A port that counts what it is given and returns the buffers to the pool.
final class DiscardSink: PacketSink {
    let counters = PortCounters()

    func transmit(_ batch: PacketBatch) throws(PortError) {
        let metadata = batch.metadata
        let pool = batch.pool
        let count = batch.count
        var bytes: UInt64 = 0
        for index in 0..<count {
            bytes &+= UInt64(metadata[index].length)
            pool.release(metadata[index].id)
        }
        counters.transmittedPackets &+= UInt64(count)
        counters.transmittedBytes &+= bytes
        batch.count = 0
        batch.resetVerdictCounts()
    }
}
