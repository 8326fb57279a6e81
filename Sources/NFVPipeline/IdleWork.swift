/// A stage with work that cannot wait for the next packet: taking a configuration the control
/// side posted (firewall rules, routes, NAT rules, switch flows), expiring entries by time.
/// A live worker calls `idle(now:)` before it answers a counter request and before it sleeps
/// for want of packets, so an edit is in force (and shows in counters and flow dumps) as soon
/// as the control side has posted it and woken the workers, whether or not traffic flows.
/// Only the data path's thread calls it, between batches.
public protocol IdleWork: AnyObject {
    /// Takes posted updates and does time-driven work; `now` in the batches' clock (ns since
    /// the epoch, as TAP ports stamp packets).
    func idle(now: UInt64)
}

extension Chain {
    /// Lets every stage that has `IdleWork` do it (a path gate's inner stage included).
    public func idle(now: UInt64) {
        for stage in idleWork { stage.idle(now: now) }
    }
}
