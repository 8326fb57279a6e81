import NFVPacket

/// A stage that only some service paths pass through: packets whose `path` is one of
/// `members` go through the wrapped stage; the others pass it untouched (in a chain with
/// `paths:`, every stage is gated by the paths that list it in `through`).
///
/// Drops nothing itself (the wrapped stage drops what it drops). The chain's counters for this
/// stage count every packet that reached it, including those that passed it untouched.
public final class PathGateStage: Stage {
    public let inner: any Stage
    /// Bit p set: path p goes through the stage.
    public let members: UInt64
    public var name: String { inner.name }
    public var kind: String { inner.kind }
    let aside: UnsafeMutablePointer<PacketMetadata>
    let asideCapacity: Int

    public init(_ inner: any Stage, paths: Set<UInt8>, batchCapacity: Int = PacketBatch.defaultCapacity) {
        self.inner = inner
        members = paths.reduce(0) { $0 | 1 << UInt64($1 & 63) }
        asideCapacity = batchCapacity
        aside = .allocate(capacity: batchCapacity)
    }

    deinit { aside.deallocate() }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        let count = batch.count
        let metadata = batch.metadata
        var kept = 0
        var asideCount = 0
        for index in 0..<count {
            let entry = metadata[index]
            if members & (1 << UInt64(entry.path & 63)) != 0 {
                if kept != index { metadata[kept] = entry }
                kept &+= 1
            } else if asideCount < asideCapacity {
                aside[asideCount] = entry
                asideCount &+= 1
            }
        }
        guard asideCount > 0 else {
            inner.process(batch, emit: emit)
            return
        }
        batch.count = kept
        if kept > 0 { inner.process(batch, emit: emit) }
        for index in 0..<asideCount { _ = batch.append(aside[index]) }
    }
}

extension Stage {
    /// The stage itself, or the one a path gate wraps: what control code updates, reads
    /// counters from and starts health checks for.
    public var unwrapped: any Stage { (self as? PathGateStage)?.inner ?? self }
}
