/// A packet's colour, as the three-colour markers give it (RFC 2697, 2698, 4115).
public enum PacketColour: UInt8, Sendable, CaseIterable {
    case green = 0
    case yellow = 1
    case red = 2

    public var name: String {
        switch self {
        case .green: "green"
        case .yellow: "yellow"
        case .red: "red"
        }
    }
}

/// The three-colour markers of RFC 2697 (single rate: srTCM), RFC 2698 (two rates: trTCM) and
/// RFC 4115 (two rates, committed and excess buckets filled independently), colour-blind or
/// colour-aware, in bytes (rates in bytes per second, bursts in bytes) or packets (rates in
/// packets per second, bursts in packets, every packet of size 1).
///
/// As the RFCs say: both buckets start full (at the first packet), and a bucket of rate R gets
/// one token every 1/R seconds, counted from that start (so no rounding accumulates); a packet
/// of B tokens is compared with the buckets as they are when it arrives.
public struct ThreeColourMarker: Sendable, Equatable {
    public enum Algorithm: Sendable, Equatable {
        /// RFC 2697: CIR, CBS, EBS; tokens the committed bucket cannot hold go to the excess one.
        case singleRate(cir: UInt64, cbs: UInt64, ebs: UInt64)
        /// RFC 2698: PIR ≥ CIR, PBS, CBS; a packet takes tokens from both buckets when green.
        case twoRate(cir: UInt64, cbs: UInt64, pir: UInt64, pbs: UInt64)
        /// RFC 4115: CIR, CBS, EIR, EBS; green takes from the committed bucket, yellow from the
        /// excess one, each filled at its own rate.
        case twoRateExcess(cir: UInt64, cbs: UInt64, eir: UInt64, ebs: UInt64)
    }

    public let algorithm: Algorithm
    /// Tokens in the committed bucket (C) and the other one (E, or P for RFC 2698).
    public private(set) var committed: UInt64
    public private(set) var other: UInt64
    let committedRate: UInt64
    let otherRate: UInt64
    let committedDepth: UInt64
    let otherDepth: UInt64
    /// The first packet's time (the buckets' start) and the ticks each bucket had since.
    var start: UInt64?
    var committedTicks: UInt64 = 0
    var otherTicks: UInt64 = 0

    /// A marker with both buckets full.
    public init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .singleRate(let cir, let cbs, let ebs): (committedRate, committedDepth, otherRate, otherDepth) = (cir, cbs, 0, ebs)
        case .twoRate(let cir, let cbs, let pir, let pbs): (committedRate, committedDepth, otherRate, otherDepth) = (cir, cbs, pir, pbs)
        case .twoRateExcess(let cir, let cbs, let eir, let ebs): (committedRate, committedDepth, otherRate, otherDepth) = (cir, cbs, eir, ebs)
        }
        committed = committedDepth
        other = otherDepth
    }

    /// Ticks of a bucket of `rate` in the `elapsed` nanoseconds since the start.
    static func ticks(_ elapsed: UInt64, rate: UInt64) -> UInt64 {
        let product = elapsed.multipliedFullWidth(by: rate)
        guard product.high < 1_000_000_000 else { return .max }
        return UInt64(1_000_000_000).dividingFullWidth(product).quotient
    }

    /// Adds the tokens of the ticks since the last packet.
    mutating func refill(at now: UInt64) {
        guard let start else {
            start = now
            return
        }
        let elapsed = now > start ? now - start : 0
        let committedNow = Self.ticks(elapsed, rate: committedRate)
        let newCommitted = committedNow > committedTicks ? committedNow - committedTicks : 0
        committedTicks = max(committedTicks, committedNow)
        switch algorithm {
        case .singleRate:
            // RFC 2697 2.2: a token goes to C while C is below CBS, otherwise to E.
            let room = committedDepth - committed
            if newCommitted <= room {
                committed += newCommitted
            } else {
                committed = committedDepth
                other = min(otherDepth, other + min(newCommitted - room, otherDepth))
            }
        case .twoRate, .twoRateExcess:
            committed = min(committedDepth, committed + min(newCommitted, committedDepth))
            let otherNow = Self.ticks(elapsed, rate: otherRate)
            let newOther = otherNow > otherTicks ? otherNow - otherTicks : 0
            otherTicks = max(otherTicks, otherNow)
            other = min(otherDepth, other + min(newOther, otherDepth))
        }
    }

    /// The colour of a packet of `size` tokens (its bytes, or 1) arriving at `now`
    /// (nanoseconds), with its colour so far when the marker is colour-aware (nil: colour-blind).
    public mutating func mark(size: UInt64, at now: UInt64, precolour: PacketColour? = nil) -> PacketColour {
        refill(at: now)
        let aware = precolour ?? .green
        switch algorithm {
        case .singleRate, .twoRateExcess:
            // RFC 2697 3 and RFC 4115 3: green from C, else yellow from E, else red.
            if aware == .green && committed >= size {
                committed -= size
                return .green
            }
            if aware != .red && other >= size {
                other -= size
                return .yellow
            }
            return .red
        case .twoRate:
            // RFC 2698 3: red when P lacks the tokens (or it was red), yellow when C does (or it
            // was yellow), taking from P; green takes from both.
            if aware == .red || other < size { return .red }
            if aware == .yellow || committed < size {
                other -= size
                return .yellow
            }
            other -= size
            committed -= size
            return .green
        }
    }
}
