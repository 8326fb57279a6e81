import NFVPacket

/// Parses every frame (see `PacketParser`) and computes its symmetric flow hash.
///
/// Drops: malformed frames, each with the parser's reason (`truncated_ipv4`,
/// `bad_ipv4_header_length`, `ipv4_total_length_beyond_frame`, ...). Everything it can
/// describe, including non-IP frames, is forwarded.
public final class ParseStage: Stage {
    public let name: String
    public var kind: String { "parse" }

    public init(name: String = "parse") { self.name = name }

    public func process(_ batch: PacketBatch) {
        let metadata = batch.metadata
        let pool = batch.pool
        for index in 0..<batch.count {
            let frame = pool.slot(metadata[index].id) + Int(metadata[index].dataOffset)
            let reason = PacketParser.parse(frame, metadata: &metadata[index])
            if reason != .none {
                batch.drop(index, reason: reason)
                continue
            }
            metadata[index].flowHash = FlowHash.symmetric(frame: frame, metadata: metadata[index])
        }
    }
}
