import NFVPacket

/// Parses every frame (see `PacketParser`) and, when asked, computes its symmetric flow hash
/// into `PacketMetadata.flowHash` (about 70 instructions per IPv4 packet, so only chains with a
/// stage that uses it should pay for it).
///
/// Drops: malformed frames, each with the parser's reason (`truncated_ipv4`,
/// `bad_ipv4_header_length`, `ipv4_total_length_beyond_frame`, ...). Everything it can
/// describe, including non-IP frames, is forwarded; so is an IP packet whose transport header
/// is cut short (a tiny first fragment): its reason travels in `transportProblem` for the
/// stages that need ports, and a router forwards it as Linux does.
///
/// A frame with an offload (a partial checksum or a GSO super-frame, `PacketOffload`) is checked
/// against its headers (`SoftwareOffload.normalize`): one whose description does not fit is
/// dropped as `bad_offload`; a partial checksum outside TCP or UDP is finished here.
public final class ParseStage: Stage {
    public let name: String
    public var kind: String { "parse" }
    /// Whether `flowHash` is filled in (0 otherwise).
    public let computesFlowHash: Bool
    /// The keyed hash `flowHash` is computed with (the process's).
    let hasher = TableHash.process

    /// A parse stage called `name`; `computeFlowHash` fills in `PacketMetadata.flowHash`.
    public init(name: String = "parse", computeFlowHash: Bool = false) {
        self.name = name
        self.computesFlowHash = computeFlowHash
    }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        if computesFlowHash {
            parse(batch, hashing: true)
        } else {
            parse(batch, hashing: false)
        }
    }

    @inline(__always)
    func parse(_ batch: PacketBatch, hashing: Bool) {
        let metadata = batch.metadata
        let pool = batch.pool
        for index in 0..<batch.count {
            let frame = pool.slot(metadata[index].id) + Int(metadata[index].dataOffset)
            let reason = Self.parse(frame, metadata: &metadata[index])
            if reason != .none {
                batch.drop(index, reason: reason)
                continue
            }
            if hashing {
                metadata[index].flowHash = FlowHash.symmetric(frame: frame, metadata: metadata[index], hasher: hasher)
            }
        }
    }

    /// What the stage does to one frame: parse it, then check its offload against the headers
    /// (`SoftwareOffload.normalize`). For whoever needs a frame as the chain will see it.
    @inlinable @inline(__always)
    public static func parse(_ frame: UnsafeMutableRawPointer, metadata: inout PacketMetadata) -> DropReason {
        let reason = PacketParser.parse(frame, metadata: &metadata)
        guard reason == .none, !metadata.offload.isNone else { return reason }
        return SoftwareOffload.normalize(frame, metadata: &metadata)
    }
}
