import NFVPacket
import NFVPipeline

/// The last stage of a chain with paths: for each packet leaving on a path in the forward
/// direction, remembers which path its connection's replies take (`PathAffinity`), with the
/// addresses and ports as the stages left them. Drops nothing.
public final class PathEgressStage: Stage {
    public let name: String
    public var kind: String { "path-egress" }
    let affinity: PathAffinity
    /// The chain port forward traffic enters on.
    let entryPort: UInt16

    public init(name: String, affinity: PathAffinity, entryPort: UInt16 = 0) {
        self.name = name
        self.affinity = affinity
        self.entryPort = entryPort
    }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        let count = batch.count
        guard count > 0, batch.metadata[0].inPort == entryPort else { return }
        for index in 0..<count {
            let entry = batch.metadata[index]
            guard entry.path != 0, entry.flags.contains(.parsed) else { continue }
            let key = SwitchKey(frame: batch.frame(index), metadata: entry)
            affinity.recordReply(of: key, path: entry.path, now: entry.timestamp)
        }
    }
}
