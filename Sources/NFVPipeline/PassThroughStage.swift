import NFVPacket

/// Forwards every packet unchanged. Useful as a placeholder in a chain and as the cheapest
/// possible stage when measuring the runner itself. Drops nothing.
public final class PassThroughStage: Stage {
    public let name: String
    public var kind: String { "pass-through" }

    /// A pass-through stage called `name`.
    public init(name: String) { self.name = name }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {}
}
