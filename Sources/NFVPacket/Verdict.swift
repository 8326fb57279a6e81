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
    /// the batch without being released, and the stage emits it later.
    case held = 3
}
