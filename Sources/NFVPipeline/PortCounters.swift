import NFVPacket

/// Counters of one port: packets and bytes received and transmitted, and what the port itself
/// had to drop (a frame too large for a buffer, an exhausted pool).
public final class PortCounters {
    @usableFromInline let storage: UnsafeMutablePointer<UInt64>  // rx pkts, rx bytes, tx pkts, tx bytes
    /// Drops at the port, per reason.
    public let drops = DropCounters()

    public init() {
        storage = .allocate(capacity: 4)
        storage.initialize(repeating: 0, count: 4)
    }

    deinit { storage.deallocate() }

    /// Frames received.
    @inlinable public var receivedPackets: UInt64 {
        get { storage[0] }
        set { storage[0] = newValue }
    }
    /// Bytes received.
    @inlinable public var receivedBytes: UInt64 {
        get { storage[1] }
        set { storage[1] = newValue }
    }
    /// Frames transmitted.
    @inlinable public var transmittedPackets: UInt64 {
        get { storage[2] }
        set { storage[2] = newValue }
    }
    /// Bytes transmitted.
    @inlinable public var transmittedBytes: UInt64 {
        get { storage[3] }
        set { storage[3] = newValue }
    }
}
