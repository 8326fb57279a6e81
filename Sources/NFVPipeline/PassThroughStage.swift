import NFVPacket

/// Forwards every packet unchanged. Useful as a placeholder in a chain and as the cheapest
/// possible stage when measuring the runner itself. Drops nothing.
public final class PassThroughStage: FastPathStage {
    public let name: String
    public var kind: String { "pass-through" }

    /// A pass-through stage called `name`.
    public init(name: String) { self.name = name }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        guard let fastPathLink else { return }
        for index in 0..<batch.count { fastPathLink.note(batch.metadata[index], fastPathLink.pass) }
    }

    public var fastPathLink: FastPathLink?
    public var savesLookups: Bool { false }
    public func beginFastPathBatch() -> UInt64 { 0 }
    public func sweepFastPath(now: UInt64, emit: PacketBatch) {}
}
