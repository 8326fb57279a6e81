import NFVPacket

/// One step of a chain. A stage processes a whole batch per call: it loops over the packets,
/// reads and rewrites headers in place, and marks the packets it does not forward with
/// `PacketBatch.drop(_:reason:)` or `PacketBatch.punt(_:)`.
///
/// The chain calls `process` once per batch (one dynamic dispatch per batch); the per-packet
/// loop inside a concrete stage is statically dispatched. Stages are classes so their state
/// lives in one place and is never copied.
///
/// A batch holds packets from one ingress port. Packets that arrived on the chain's first
/// port pass the stages in order; packets from any other port pass them in reverse order, so a
/// stateful stage sees both directions of a flow. `PacketMetadata.outPort` says where a packet
/// leaves (set to the opposite port before the first stage; forwarding stages change it).
///
/// A stage that answers or generates traffic (a TCP RST, an ICMP error, an ARP reply) builds
/// the new packet in a buffer of its own and appends it to `emit`, with `outPort` set; emitted
/// packets leave the chain after the run without passing the remaining stages.
public protocol Stage: AnyObject {
    /// The stage's name in its chain (unique within the chain; used by counters and traces).
    var name: String { get }
    /// The VNF kind, as a descriptor names it (`decrement-ttl`).
    var kind: String { get }
    /// Processes every packet of `batch`; generated packets go into `emit`.
    func process(_ batch: PacketBatch, emit: PacketBatch)
}
