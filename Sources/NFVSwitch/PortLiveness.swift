import Synchronization

/// Which switch ports are live, for fast-failover and select groups: a port is live unless its
/// link is down (its TAP's carrier, or a controller's PORT_MOD). The control side sets it; the
/// data path reads it per group decision (relaxed atomics: the next batch sees a change).
public final class PortLiveness: Sendable {
    /// One bit per chain port below 256, set when the port is down.
    let down0 = Atomic<UInt64>(0)
    let down1 = Atomic<UInt64>(0)
    let down2 = Atomic<UInt64>(0)
    let down3 = Atomic<UInt64>(0)

    public init() {}

    @inline(__always)
    func word(_ index: Int) -> UInt64 {
        switch index {
        case 0: down0.load(ordering: .relaxed)
        case 1: down1.load(ordering: .relaxed)
        case 2: down2.load(ordering: .relaxed)
        default: down3.load(ordering: .relaxed)
        }
    }

    /// False when `port` is down (ports from 256 on are always live).
    @inline(__always)
    public func isLive(_ port: UInt16) -> Bool {
        guard port < 256 else { return true }
        return word(Int(port) >> 6) & (1 << UInt64(port & 63)) == 0
    }

    /// Marks `port` live or down.
    public func set(_ port: UInt16, live: Bool) {
        guard port < 256 else { return }
        let bit: UInt64 = 1 << UInt64(port & 63)
        func update(_ atomic: borrowing Atomic<UInt64>) {
            if live { atomic.bitwiseAnd(~bit, ordering: .relaxed) } else { atomic.bitwiseOr(bit, ordering: .relaxed) }
        }
        switch port >> 6 {
        case 0: update(down0)
        case 1: update(down1)
        case 2: update(down2)
        default: update(down3)
        }
    }
}
