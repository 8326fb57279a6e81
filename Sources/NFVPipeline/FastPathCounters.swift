/// What a chain's fast path did: packets that took it, flows it learned, and why packets or
/// flows did not take it.
public final class FastPathCounters {
    /// Packets forwarded by a cached decision.
    public internal(set) var hits: UInt64 = 0
    /// Packets of a cacheable shape whose flow was not cached (they took the stages' path).
    public internal(set) var misses: UInt64 = 0
    /// Flows cached after their packet passed every stage.
    public internal(set) var learned: UInt64 = 0
    /// Flows not cached because the cache held `capacity` flows.
    public internal(set) var full: UInt64 = 0
    /// Cached flows sent back to the stages' path: a stage's handle no longer held, or a
    /// packet needed the stages (a SYN, FIN or RST, a low TTL, a bad header checksum).
    public internal(set) var invalidated: UInt64 = 0
    /// Times the whole cache was emptied because a stage's configuration changed.
    public internal(set) var flushes: UInt64 = 0

    public init() {}

    /// Sets every counter to zero.
    public func reset() {
        hits = 0
        misses = 0
        learned = 0
        full = 0
        invalidated = 0
        flushes = 0
    }
}
