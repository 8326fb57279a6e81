/// What a stage decided for one packet.
@frozen
public enum Verdict: UInt8, Sendable {
    /// Go on to the next stage (and out of the chain after the last one).
    case forward = 0
    /// Leave the chain; the buffer returns to the pool and the reason is counted.
    case drop = 1
    /// Hand the packet to the control side (counted; the runner gives it to a punt sink).
    case punt = 2
    /// The stage kept the buffer (a packet queued until its next hop is resolved); it leaves
    /// the batch without being released, and the stage emits it later as `resumed`.
    case held = 3
    /// On an emitted packet: one the stage held and now lets go. It is forwarded traffic, not a
    /// reply, so it goes on through the stages after the one that held it (a firewall behind a
    /// router must still see it) before it leaves.
    case resumed = 4
}
