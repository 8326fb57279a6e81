import NFVPacket

/// IPv4 (ARP) and IPv6 (neighbour discovery) neighbours of a router: address -> MAC, with a
/// fixed capacity and a bounded queue of packets waiting for each unresolved neighbour.
///
/// Open addressing with linear probing; entries are overwritten, never emptied, so probe runs
/// stay intact. A full probe window reuses the stalest entry that has no packets waiting.
public final class NeighborTable {
    /// One neighbour.
    public struct Entry: Sendable {
        public var address: IPv6Address
        public var mac: UInt64
        /// `mac` in wire byte order (`MACAddress.wireValue`), for writing frames.
        public var wireMAC: UInt64
        /// Resolved and usable until this time (ns); 0 while unresolved.
        public var reachableUntil: UInt64
        /// When the last ARP request / neighbour solicitation went out (ns).
        public var lastSolicitation: UInt64
        /// Solicitations sent since the neighbour was last heard from.
        public var solicitations: UInt8
        /// Packets queued for it.
        public var queued: UInt8
        /// The router interface it lives on.
        public var interface: UInt16
        /// True when the slot is in use.
        public var inUse: Bool
    }

    public let capacity: Int
    public let queueDepth: Int
    let mask: Int
    let entries: UnsafeMutablePointer<Entry>
    /// Queued packets: `queueDepth` slots per entry.
    let queue: UnsafeMutablePointer<PacketMetadata>
    /// Slots of the entries that have packets queued (checked every batch for retries).
    let pending: UnsafeMutablePointer<Int32>
    /// How many entries are in `pending`.
    public private(set) var pendingCount = 0

    /// A table for about `capacity` neighbours with `queueDepth` packets queued each.
    public init(capacity: Int, queueDepth: Int) {
        var slots = 16
        while slots < capacity { slots <<= 1 }
        self.capacity = slots
        self.queueDepth = max(queueDepth, 1)
        mask = slots - 1
        entries = .allocate(capacity: slots)
        entries.initialize(repeating: Entry(address: .unspecified, mac: 0, wireMAC: 0, reachableUntil: 0, lastSolicitation: 0,
                                            solicitations: 0, queued: 0, interface: 0, inUse: false), count: slots)
        queue = .allocate(capacity: slots * self.queueDepth)
        pending = .allocate(capacity: slots)
    }

    deinit {
        entries.deallocate()
        queue.deallocate()
        pending.deallocate()
    }

    static func hash(_ address: IPv6Address) -> Int {
        Int(truncatingIfNeeded: (address.low ^ address.high &* 0x9E37_79B9_7F4A_7C15) &* 0xFF51_AFD7_ED55_8CCD >> 32)
    }

    /// The slot of `address`, or -1.
    public func find(_ address: IPv6Address) -> Int {
        var slot = Self.hash(address) & mask
        for _ in 0..<16 {
            let entry = entries[slot]
            if !entry.inUse { return -1 }
            if entry.address == address { return slot }
            slot = (slot + 1) & mask
        }
        return -1
    }

    /// The slot of `address`, creating an unresolved entry when there is none; -1 when no slot
    /// in the probe window can be reused.
    public func findOrCreate(_ address: IPv6Address, interface: Int, now: UInt64) -> Int {
        var slot = Self.hash(address) & mask
        var reusable = -1
        var reusableAge = UInt64.max
        for _ in 0..<16 {
            let entry = entries[slot]
            if !entry.inUse {
                reusable = slot
                break
            }
            if entry.address == address { return slot }
            if entry.queued == 0 && entry.reachableUntil < now && entry.reachableUntil < reusableAge {
                reusable = slot
                reusableAge = entry.reachableUntil
            }
            slot = (slot + 1) & mask
        }
        guard reusable >= 0 else { return -1 }
        entries[reusable] = Entry(address: address, mac: 0, wireMAC: 0, reachableUntil: 0, lastSolicitation: 0, solicitations: 0,
                                  queued: 0, interface: UInt16(interface), inUse: true)
        return reusable
    }

    /// The entry in `slot`.
    public subscript(slot: Int) -> Entry {
        get { entries[slot] }
        set { entries[slot] = newValue }
    }

    /// Queues a packet for the neighbour in `slot`; false when its queue is full.
    func enqueue(_ slot: Int, _ packet: PacketMetadata) -> Bool {
        let count = Int(entries[slot].queued)
        guard count < queueDepth else { return false }
        queue[slot * queueDepth + count] = packet
        entries[slot].queued = UInt8(count + 1)
        if count == 0 {
            pending[pendingCount] = Int32(slot)
            pendingCount += 1
        }
        return true
    }

    /// The slot of the `index`th entry with packets queued.
    func pendingSlot(_ index: Int) -> Int { Int(pending[index]) }

    /// Removes and returns the packets queued for `slot`.
    func dequeueAll(_ slot: Int) -> ArraySlice<PacketMetadata> {
        let count = Int(entries[slot].queued)
        entries[slot].queued = 0
        guard count > 0 else { return [] }
        for index in 0..<pendingCount where Int(pending[index]) == slot {
            pending[index] = pending[pendingCount - 1]
            pendingCount -= 1
            break
        }
        return ArraySlice(UnsafeBufferPointer(start: queue + slot * queueDepth, count: count))
    }
}
