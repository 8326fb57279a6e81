/// A token bucket on packet time: `rate` tokens per second, at most `burst` saved. Limits
/// the ICMP errors a router sends (RFC 1812 4.3.2.8, RFC 4443 2.4(f)).
public struct TokenBucket: Sendable {
    /// Tokens added per second.
    public let rate: UInt64
    /// The most tokens held.
    public let burst: UInt64
    var tokens: UInt64
    var last: UInt64 = 0

    /// A full bucket.
    public init(rate: Int, burst: Int) {
        self.rate = UInt64(max(rate, 0))
        self.burst = UInt64(max(burst, 1))
        self.tokens = self.burst
    }

    /// Takes a token at time `now` (nanoseconds); false when the bucket is empty.
    public mutating func take(now: UInt64) -> Bool {
        if now > last {
            let earned = (now - last) / 1_000_000_000 * rate + ((now - last) % 1_000_000_000) * rate / 1_000_000_000
            if earned > 0 {
                tokens = min(burst, tokens + earned)
                last = now
            }
        }
        guard tokens > 0 else { return false }
        tokens -= 1
        return true
    }
}
