import NFVPacket
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// A port's egress shaper in front of its sink (a TAP queue): frames leave while the port's
/// token bucket (`ShaperBucket`, shared by the workers) has tokens; the rest wait in this
/// worker's queue, in arrival order, keeping their pool buffers, until `drain` finds tokens
/// for them. One per worker and port.
///
/// Drops: `shaper_queue_full` (the queue held `queueLimit` packets), counted on the port.
public final class PortShaper: PacketSink {
    public let inner: any PacketSink
    public let bucket: ShaperBucket
    let queueLimit: Int
    /// The waiting packets: a ring of `queueLimit` entries.
    let queue: UnsafeMutablePointer<PacketMetadata>
    var head = 0
    public private(set) var queuedCount = 0
    var outgoing: PacketBatch?

    public init(inner: any PacketSink, bucket: ShaperBucket) {
        self.inner = inner
        self.bucket = bucket
        queueLimit = max(1, min(bucket.configuration.queueLimit, ShaperConfiguration.maximumQueueLimit))
        queue = .allocate(capacity: queueLimit)
    }

    deinit {
        if let outgoing {
            for offset in 0..<queuedCount { outgoing.pool.release(queue[(head + offset) % queueLimit].id) }
        }
        queue.deallocate()
    }

    public var counters: PortCounters { inner.counters }

    /// Sends what the bucket allows now, queues the rest (after what already waits), drops what
    /// does not fit the queue.
    public func transmit(_ batch: PacketBatch) throws(PortError) {
        let sending = outgoing ?? PacketBatch(pool: batch.pool)
        outgoing = sending
        let now = Self.now()
        try drain(now: now)
        for index in 0..<batch.count {
            let entry = batch.metadata[index]
            let bytes = entry.wireSize(batch.frame(index)).bytes
            if queuedCount == 0, bucket.take(bytes, now: now) {
                if !sending.append(entry) {
                    try inner.transmit(sending)
                    _ = sending.append(entry)
                }
            } else if queuedCount < queueLimit {
                queue[(head + queuedCount) % queueLimit] = entry
                queuedCount += 1
            } else {
                batch.pool.release(entry.id)
                inner.counters.drops.increment(.shaperQueueFull)
            }
        }
        // Every buffer went on, into the queue, or back to the pool.
        batch.count = 0
        batch.resetVerdictCounts()
        if sending.count > 0 { try inner.transmit(sending) }
    }

    /// Sends waiting packets, oldest first, while the bucket has tokens.
    public func drain(now: UInt64 = PortShaper.now()) throws(PortError) {
        guard queuedCount > 0, let sending = outgoing else { return }
        while queuedCount > 0 {
            let entry = queue[head]
            let frame = sending.pool.slot(entry.id) + Int(entry.dataOffset)
            guard bucket.take(entry.wireSize(frame).bytes, now: now) else { break }
            if !sending.append(entry) {
                try inner.transmit(sending)
                _ = sending.append(entry)
            }
            head = (head + 1) % queueLimit
            queuedCount -= 1
        }
        if sending.count > 0 { try inner.transmit(sending) }
    }

    /// Sends every waiting packet at the rate, sleeping until each falls due (a data plane handing
    /// its chain over empties its queues this way before it stops).
    public func drainAll() throws(PortError) {
        while queuedCount > 0 {
            try drain()
            if let wait = millisecondsUntilDue() { usleep(UInt32(wait) * 1000) }
        }
    }

    /// Milliseconds until the queue's first packet may leave (nil: nothing waits); at least 1.
    public func millisecondsUntilDue(now: UInt64 = PortShaper.now()) -> Int32? {
        guard queuedCount > 0 else { return nil }
        return Int32(clamping: max(1, (bucket.wait(now: now) + 999_999) / 1_000_000))
    }

    /// The monotonic clock the shaper counts in (nanoseconds).
    public static func now() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
