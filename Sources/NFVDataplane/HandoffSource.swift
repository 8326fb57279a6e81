import NFVPacket
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// The consumer end of a `HandoffRing` as a packet source: frames another worker handed over
/// enter this worker's chain like frames from a port (they keep their original in-port).
final class HandoffSource: PacketSource {
    let ring: HandoffRing
    let counters = PortCounters()
    var isExhausted: Bool { false }

    init(ring: HandoffRing) { self.ring = ring }

    func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        guard ring.waitingCount > 0 else { return 0 }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let taken = ring.pop(into: batch, limit: limit, timestamp: UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec))
        counters.receivedPackets &+= UInt64(taken)
        return taken
    }
}
