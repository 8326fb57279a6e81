import NFVPacket

/// One step of a chain. A stage processes a whole batch per call: it loops over the packets,
/// reads and rewrites headers in place, and marks the packets it does not forward with
/// `PacketBatch.drop(_:reason:)` or `PacketBatch.punt(_:)`.
///
/// The chain calls `process` once per batch (one dynamic dispatch per batch); the per-packet
/// loop inside a concrete stage is statically dispatched. Stages are classes so their state
/// lives in one place and is never copied.
public protocol Stage: AnyObject {
    /// The stage's name in its chain (unique within the chain; used by counters and traces).
    var name: String { get }
    /// The VNF kind, as a descriptor names it (`decrement-ttl`).
    var kind: String { get }
    /// Processes every packet of `batch`.
    func process(_ batch: PacketBatch)
}
