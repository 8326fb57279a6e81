/// A port's egress shaper (`shaper:` on a TAP port): frames leave at most at `rate`, after a
/// burst of `burst` bytes; what comes faster waits in a queue of at most `queueLimit` packets
/// (in arrival order), and what finds the queue full is dropped (`shaper_queue_full`).
public struct ShaperConfiguration: Sendable, Equatable {
    /// Bits per second of frames (Ethernet header included, as the policer counts them; a GSO
    /// super-frame counts as the segments it stands for).
    public var rate: UInt64
    /// Bytes that may leave at once after an idle spell.
    public var burst: UInt64
    /// Packets the queue holds (per worker: each worker queues what it sends).
    public var queueLimit: Int

    /// The queue's largest allowed length: a quarter of a worker's packet pool, whose buffers
    /// the queued packets keep.
    public static let maximumQueueLimit = 512

    public init(rate: UInt64, burst: UInt64, queueLimit: Int = 256) {
        self.rate = rate
        self.burst = burst
        self.queueLimit = queueLimit
    }

    /// The default burst: 10 ms at the rate, at least two full-size frames.
    public static func defaultBurst(rate: UInt64) -> UInt64 {
        max(rate / 800, 2 * 1514)
    }
}
