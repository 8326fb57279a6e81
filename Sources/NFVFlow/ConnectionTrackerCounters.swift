/// What happened in a connection table: connections created, expired, evicted to make room,
/// refused because the table was full, and packets found INVALID for their connection.
public final class ConnectionTrackerCounters {
    @usableFromInline let storage: UnsafeMutablePointer<UInt64>

    public init() {
        storage = .allocate(capacity: 5)
        storage.initialize(repeating: 0, count: 5)
    }

    deinit { storage.deallocate() }

    /// Connections started.
    @inlinable public var created: UInt64 {
        get { storage[0] }
        set { storage[0] = newValue }
    }
    /// Connections removed after their idle timeout.
    @inlinable public var expired: UInt64 {
        get { storage[1] }
        set { storage[1] = newValue }
    }
    /// Not-yet-assured connections removed to make room for new ones.
    @inlinable public var evicted: UInt64 {
        get { storage[2] }
        set { storage[2] = newValue }
    }
    /// New connections refused because the table was full.
    @inlinable public var refused: UInt64 {
        get { storage[3] }
        set { storage[3] = newValue }
    }
    /// Packets that did not fit the state of their connection.
    @inlinable public var invalid: UInt64 {
        get { storage[4] }
        set { storage[4] = newValue }
    }
}
