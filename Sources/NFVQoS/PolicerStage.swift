import NFVPacket
import NFVPipeline

/// A policer as a stage: each packet is coloured by the configuration's three-colour marker
/// (RFC 2697, 2698 or 4115; in bits with the frame's bytes, or in packets; a GSO super-frame
/// counts as the segments it stands for, with their headers), then its colour's action runs:
/// pass, drop, or set the DSCP (IPv4 with its checksum patched, IPv6's traffic class).
/// Colour-aware, a packet's DSCP gives its colour so far (non-IP packets are green).
///
/// The marker is the chain's, shared by the workers (`PolicerState`), so the rate holds
/// whatever worker a flow lands on.
///
/// With an `ingressPort` (a `qos:` section's direction), only packets that entered the chain on
/// that port are coloured; the others pass untouched and uncounted.
///
/// Drops: `policer_drop` (the packet's colour says drop).
public final class PolicerStage: Stage {
    public let name: String
    public var kind: String { "policer" }
    public let configuration: PolicerConfiguration
    public let state: PolicerState
    /// The colour so far of each DSCP (0 to 63), from the configuration's map: an array read
    /// per packet instead of a dictionary lookup.
    let colourOfDSCP: [PacketColour]

    /// A policer with `state` shared with the other workers' stages of the same chain.
    public init(name: String, configuration: PolicerConfiguration, state: PolicerState) {
        self.name = name
        self.configuration = configuration
        self.state = state
        colourOfDSCP = (0..<64).map { configuration.precolours[UInt8($0)] ?? .green }
    }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        let ingressPort = configuration.ingressPort
        for index in 0..<batch.count {
            let entry = batch.metadata[index]
            if let ingressPort, entry.inPort != ingressPort { continue }
            let frame = batch.pool.slot(entry.id) + Int(entry.dataOffset)
            let (bytes, packets) = entry.wireSize(frame)
            let precolour = configuration.colourAware ? precolour(entry, frame) : nil
            let size = configuration.unit == .bits ? bytes : packets
            let colour = state.mark(
                size: UInt64(size), packets: UInt64(packets), bytes: UInt64(bytes), at: entry.timestamp, precolour: precolour)
            switch configuration.action(for: colour) {
            case .pass: break
            case .drop: batch.drop(index, reason: .policerDrop)
            case .markDSCP(let dscp):
                if entry.flags.contains(.ipv4) {
                    IPv4Header(frame + Int(entry.l3Offset)).setDSCP(dscp)
                } else if entry.flags.contains(.ipv6) {
                    IPv6Header(frame + Int(entry.l3Offset)).setDSCP(dscp)
                }
            }
        }
    }

    /// The colour a packet's DSCP gives it (green for non-IP and unlisted DSCPs).
    func precolour(_ entry: PacketMetadata, _ frame: UnsafeMutableRawPointer) -> PacketColour {
        let l3 = frame + Int(entry.l3Offset)
        let dscp: UInt8
        if entry.flags.contains(.ipv4) {
            dscp = IPv4Header(l3).dscp
        } else if entry.flags.contains(.ipv6) {
            dscp = IPv6Header(l3).trafficClass >> 2
        } else {
            return .green
        }
        return colourOfDSCP[Int(dscp & 63)]
    }
}
