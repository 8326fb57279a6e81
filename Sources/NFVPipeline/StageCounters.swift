import NFVPacket

/// Packet counters of one stage: what it received, forwarded, punted and dropped per reason,
/// and how many packets it generated. For every stage
/// `received == transmitted + punted + held + drops.total`.
public final class StageCounters {
    @usableFromInline let storage: UnsafeMutablePointer<UInt64>  // received, transmitted, punted, emitted, held
    /// Drops per reason.
    public let drops = DropCounters()

    public init() {
        storage = .allocate(capacity: 5)
        storage.initialize(repeating: 0, count: 5)
    }

    deinit { storage.deallocate() }

    /// Packets handed to the stage.
    @inlinable public var received: UInt64 {
        get { storage[0] }
        set { storage[0] = newValue }
    }
    /// Packets the stage forwarded.
    @inlinable public var transmitted: UInt64 {
        get { storage[1] }
        set { storage[1] = newValue }
    }
    /// Packets the stage punted to the control side.
    @inlinable public var punted: UInt64 {
        get { storage[2] }
        set { storage[2] = newValue }
    }

    /// Packets the stage generated (replies, errors) into the emit batch.
    @inlinable public var emitted: UInt64 {
        get { storage[3] }
        set { storage[3] = newValue }
    }

    /// Packets the stage kept (queued for later, e.g. until ARP resolves); they reappear in
    /// `emitted` when sent.
    @inlinable public var held: UInt64 {
        get { storage[4] }
        set { storage[4] = newValue }
    }

    /// Sets every counter to zero.
    public func reset() {
        storage.update(repeating: 0, count: 5)
        drops.reset()
    }
}
