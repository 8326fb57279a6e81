import Synchronization

/// The token bucket of one port's shaper, shared by the workers (each queues what it sends,
/// all spend the same tokens, so the port's rate holds whatever worker a flow lands on).
///
/// Tokens are bytes, refilled continuously at the rate up to the burst. A packet may leave
/// while the bucket holds any token at all and takes its whole size, so the bucket can go
/// below zero: a frame bigger than the burst (a 64 KiB super-frame) still leaves, and the debt
/// holds the ones after it back until it is paid (the average rate is exact).
public final class ShaperBucket: Sendable {
    struct State {
        var tokens: Double
        var last: UInt64
    }

    public let configuration: ShaperConfiguration
    let state: Mutex<State>
    let bytesPerNanosecond: Double

    public init(configuration: ShaperConfiguration, now: UInt64) {
        self.configuration = configuration
        bytesPerNanosecond = Double(configuration.rate) / 8 / 1e9
        state = Mutex(State(tokens: Double(configuration.burst), last: now))
    }

    /// Takes `bytes` if the bucket holds a token at `now` (monotonic nanoseconds); false, and
    /// nothing taken, if it is empty or in debt.
    public func take(_ bytes: Int, now: UInt64) -> Bool {
        state.withLock { state in
            refill(&state, now)
            guard state.tokens > 0 else { return false }
            state.tokens -= Double(bytes)
            return true
        }
    }

    /// Nanoseconds from `now` until the bucket holds a token again (0: it does now).
    public func wait(now: UInt64) -> UInt64 {
        state.withLock { state in
            refill(&state, now)
            return state.tokens > 0 ? 0 : UInt64((-state.tokens + 1) / bytesPerNanosecond)
        }
    }

    func refill(_ state: inout State, _ now: UInt64) {
        guard now > state.last else { return }
        state.tokens = min(Double(configuration.burst), state.tokens + Double(now - state.last) * bytesPerNanosecond)
        state.last = now
    }
}
