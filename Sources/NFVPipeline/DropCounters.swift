import NFVPacket

/// A counter per `DropReason`, in one flat array indexed by the reason's raw value.
public final class DropCounters {
    @usableFromInline let storage: UnsafeMutablePointer<UInt64>
    @usableFromInline static let slotCount = 256

    public init() {
        storage = .allocate(capacity: DropCounters.slotCount)
        storage.initialize(repeating: 0, count: DropCounters.slotCount)
    }

    deinit { storage.deallocate() }

    /// Counts one drop for `reason`.
    @inlinable
    public func increment(_ reason: DropReason, by amount: UInt64 = 1) {
        storage[Int(reason.rawValue)] &+= amount
    }

    /// The count for `reason`.
    public subscript(reason: DropReason) -> UInt64 { storage[Int(reason.rawValue)] }

    /// The sum over every reason.
    public var total: UInt64 {
        DropReason.allCases.reduce(0) { $0 &+ storage[Int($1.rawValue)] }
    }

    /// The reasons with a non-zero count, in declaration order.
    public var nonZero: [(reason: DropReason, count: UInt64)] {
        DropReason.allCases.compactMap { reason in
            let value = storage[Int(reason.rawValue)]
            return value == 0 ? nil : (reason, value)
        }
    }

    /// Sets every counter to zero.
    public func reset() { storage.update(repeating: 0, count: DropCounters.slotCount) }
}
