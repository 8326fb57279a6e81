/// One slot of the connection table: the canonical key, the state, when it expires, which
/// endpoint opened it, and what the VNFs remember about it (the firewall's verdict and rule).
@frozen
public struct ConnectionEntry: Sendable {
    public var lowAddressHigh: UInt64
    public var lowAddressLow: UInt64
    public var highAddressHigh: UInt64
    public var highAddressLow: UInt64
    /// lowPort << 48 | highPort << 32 | protocol << 16 | vlan, as in `TrackingKey`.
    public var portsProtocolVLAN: UInt64
    /// Monotonic nanoseconds after which the entry is dead.
    public var expires: UInt64
    /// The key's table hash (saves rehashing when entries move).
    public var hash: UInt32
    /// Which rule allowed the connection, for the VNF that created it (the firewall stores the
    /// index of the rule's hit counter; the default action has the index after the last rule).
    public var ruleNumber: UInt16
    /// The connection state.
    public var state: ConnectionState
    /// Bit flags: see `ConnectionEntry.Flag`.
    public var flags: UInt8
    /// Which insertion made the entry (the tracker numbers them): an entry keeps it when it
    /// moves, so a slot number remembered with it finds out whether the entry is still there.
    public var serial: UInt32

    /// Meanings of the bits in `flags`.
    public enum Flag {
        /// The slot holds a connection.
        public static let occupied: UInt8 = 1
        /// The connection was opened by the lower endpoint.
        public static let originIsLow: UInt8 = 2
        /// The first FIN came from the side that opened the connection.
        public static let finFromOrigin: UInt8 = 4
    }

    /// An entry with every field given.
    @inlinable
    public init(
        lowAddressHigh: UInt64, lowAddressLow: UInt64, highAddressHigh: UInt64, highAddressLow: UInt64,
        portsProtocolVLAN: UInt64, expires: UInt64, hash: UInt32, ruleNumber: UInt16,
        state: ConnectionState, flags: UInt8, serial: UInt32 = 0
    ) {
        self.lowAddressHigh = lowAddressHigh
        self.lowAddressLow = lowAddressLow
        self.highAddressHigh = highAddressHigh
        self.highAddressLow = highAddressLow
        self.portsProtocolVLAN = portsProtocolVLAN
        self.expires = expires
        self.hash = hash
        self.ruleNumber = ruleNumber
        self.state = state
        self.flags = flags
        self.serial = serial
    }

    /// An empty slot.
    @inlinable
    public static var empty: ConnectionEntry {
        ConnectionEntry(
            lowAddressHigh: 0, lowAddressLow: 0, highAddressHigh: 0, highAddressLow: 0,
            portsProtocolVLAN: 0, expires: 0, hash: 0, ruleNumber: 0, state: .none, flags: 0)
    }

    /// True when the slot holds a connection.
    @inlinable public var isOccupied: Bool { flags & Flag.occupied != 0 }

    /// True when `key` names this entry's connection.
    @inlinable
    public func matches(_ key: TrackingKey) -> Bool {
        portsProtocolVLAN == key.portsProtocolVLAN && lowAddressLow == key.lowAddressLow
            && highAddressLow == key.highAddressLow && lowAddressHigh == key.lowAddressHigh
            && highAddressHigh == key.highAddressHigh
    }

    /// True when a packet with `key` travels in the direction of the connection's first packet.
    @inlinable
    public func isOriginalDirection(_ key: TrackingKey) -> Bool {
        key.sourceIsLow == (flags & Flag.originIsLow != 0)
    }
}
