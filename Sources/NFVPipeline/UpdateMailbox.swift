import Synchronization

/// Hands a new configuration from a control thread to the data path without blocking it: the
/// control side builds the new tables off the data path and `post`s them; the data path asks
/// `take()` once per batch, which costs one relaxed atomic load when nothing waits, and swaps
/// the tables in between two batches. A second post before the data path looked replaces the
/// first (the newest configuration wins).
public final class UpdateMailbox<Value: Sendable>: Sendable {
    let slot = Mutex<Value?>(nil)
    let pending = Atomic<Bool>(false)
    /// How many posted values the data path took.
    public let takenCount = Atomic<Int>(0)

    public init() {}

    /// Control side: leaves `value` for the data path.
    public func post(_ value: Value) {
        slot.withLock { $0 = value }
        pending.store(true, ordering: .releasing)
    }

    /// Data-path side: the waiting value, if any.
    @inline(__always)
    public func take() -> Value? {
        guard pending.load(ordering: .relaxed) else { return nil }
        return takeSlow()
    }

    @inline(never)
    func takeSlow() -> Value? {
        pending.store(false, ordering: .relaxed)
        let value = slot.withLock { slot -> Value? in
            let taken = slot
            slot = nil
            return taken
        }
        if value != nil { takenCount.add(1, ordering: .relaxed) }
        return value
    }
}
