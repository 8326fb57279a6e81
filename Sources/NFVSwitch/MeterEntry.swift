import Synchronization

/// A meter of the switch (OpenFlow 1.3.5 section 5.7): rate bands over the packets of the flows
/// that name it (the meter instruction), or of the packets sent to the controller (meter
/// OFPM_CONTROLLER). Each band is a token bucket that fills at its rate up to its burst; a
/// packet that finds a band's bucket short exceeds that band, and of the bands it exceeds, the
/// one with the highest rate acts: DROP drops it (counted as `meter_drop`), DSCP_REMARK raises
/// the drop precedence of an assured-forwarding DSCP (RFC 2597: AFx1 to AFx2 to AFx3) by the
/// band's level and lets it pass. Rates are in kbit/s (frame bytes, Ethernet header included)
/// or in packets/s; a GSO super-frame counts as the segments it stands for, with their
/// headers (what the wire carries, as Linux's qdisc_pkt_len counts a GSO packet).
public struct MeterEntry: Sendable, Equatable {
    public enum Unit: Sendable, Equatable {
        case kilobitsPerSecond, packetsPerSecond
    }

    public struct Band: Sendable, Equatable {
        public enum Action: Sendable, Equatable {
            case drop
            /// Raise an AF codepoint's drop precedence by this many steps (at most to 3).
            case remarkDSCP(precedence: UInt8)
        }
        public var action: Action
        /// kbit/s or packets/s.
        public var rate: UInt32
        /// kilobits or packets; 0: the switch's default (100 ms at the band's rate).
        public var burst: UInt32

        public init(action: Action, rate: UInt32, burst: UInt32 = 0) {
            self.action = action
            self.rate = rate
            self.burst = burst
        }
    }

    public var id: UInt32
    public var unit: Unit
    public var bands: [Band]
    /// OFPMF_BURST: the bands' burst sizes are the controller's (else the default).
    public var usesBurst: Bool
    /// OFPMF_STATS: the controller asked for counters (they are kept either way).
    public var collectsStatistics: Bool
    /// Token buckets and counters, shared by every worker's copy of the switch.
    public let state: MeterState

    public init(id: UInt32, unit: Unit, bands: [Band], usesBurst: Bool = false, collectsStatistics: Bool = true) {
        self.id = id
        self.unit = unit
        self.bands = bands
        self.usesBurst = usesBurst
        self.collectsStatistics = collectsStatistics
        state = MeterState(unit: unit, bands: bands, usesBurst: usesBurst)
    }

    /// The meter id OpenFlow gives the packets sent to the controller.
    public static let controller: UInt32 = 0xFFFF_FFFE

    public static func == (lhs: MeterEntry, rhs: MeterEntry) -> Bool {
        lhs.id == rhs.id && lhs.unit == rhs.unit && lhs.bands == rhs.bands && lhs.usesBurst == rhs.usesBurst
            && lhs.collectsStatistics == rhs.collectsStatistics
    }
}

/// A meter's token buckets (one per band, under a lock: the workers share the meter's rate)
/// and counters.
public final class MeterState: Sendable {
    /// What a meter does with a packet.
    public enum Verdict: Equatable, Sendable {
        case pass
        case drop
        case remarkDSCP(precedence: UInt8)
    }

    struct Bucket {
        /// Tokens per nanosecond (bits or packets).
        var fillRate: Double
        /// Most tokens the bucket holds.
        var depth: Double
        var tokens: Double
        var verdict: Verdict
        var rate: UInt32
    }

    struct Buckets {
        var bands: [Bucket]
        var last: UInt64 = 0
        /// packets, bytes in; then packets and bytes of each band that acted.
        var counts: [UInt64]
    }

    let buckets: Mutex<Buckets>
    let countsBits: Bool
    public let created = ContinuousClock.now

    init(unit: MeterEntry.Unit, bands: [MeterEntry.Band], usesBurst: Bool) {
        countsBits = unit == .kilobitsPerSecond
        let perSecond: Double = unit == .kilobitsPerSecond ? 1000 : 1
        buckets = Mutex(
            Buckets(
                bands: bands.map { band in
                    let rate = Double(band.rate) * perSecond
                    // Default burst: 100 ms at the rate, at least two full-size frames (or packets).
                    let floor: Double = unit == .kilobitsPerSecond ? 2 * 1514 * 8 : 2
                    let depth = usesBurst && band.burst > 0 ? max(Double(band.burst) * perSecond, 1) : max(rate / 10, floor)
                    let verdict: Verdict =
                        switch band.action {
                        case .drop: .drop
                        case .remarkDSCP(let level): .remarkDSCP(precedence: level)
                        }
                    return Bucket(fillRate: rate / 1e9, depth: depth, tokens: depth, verdict: verdict, rate: band.rate)
                }, counts: [UInt64](repeating: 0, count: 2 + 2 * bands.count)))
    }

    /// Meters a packet of `bytes` bytes arriving at `now` (nanoseconds, the packet's
    /// timestamp); a super-frame counts as the `packets` segments it stands for, `bytes` being
    /// theirs on the wire.
    public func admit(bytes: Int, packets: Int = 1, now: UInt64) -> Verdict {
        let cost = countsBits ? Double(bytes * 8) : Double(packets)
        return buckets.withLock { state -> Verdict in
            let elapsed = state.last == 0 || now <= state.last ? 0 : Double(now &- state.last)
            if now > state.last { state.last = now }
            var chosen = -1
            for index in state.bands.indices {
                var bucket = state.bands[index]
                bucket.tokens = min(bucket.depth, bucket.tokens + elapsed * bucket.fillRate)
                if bucket.tokens >= cost {
                    bucket.tokens -= cost
                } else if chosen < 0 || bucket.rate > state.bands[chosen].rate {
                    chosen = index
                }
                state.bands[index] = bucket
            }
            state.counts[0] &+= UInt64(packets)
            state.counts[1] &+= UInt64(bytes)
            guard chosen >= 0 else { return .pass }
            state.counts[2 + 2 * chosen] &+= UInt64(packets)
            state.counts[3 + 2 * chosen] &+= UInt64(bytes)
            return state.bands[chosen].verdict
        }
    }

    /// Packets and bytes the meter saw.
    public var packets: UInt64 { buckets.withLock { $0.counts[0] } }
    public var bytes: UInt64 { buckets.withLock { $0.counts[1] } }
    /// (packets, bytes) each band acted on.
    public var bands: [(packets: UInt64, bytes: UInt64)] {
        buckets.withLock { state in
            let words = state.counts
            return stride(from: 2, to: words.count, by: 2).map { (words[$0], words[$0 + 1]) }
        }
    }
}
