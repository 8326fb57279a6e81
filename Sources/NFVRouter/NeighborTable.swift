import NFVPacket

/// IPv4 (ARP) and IPv6 (neighbour discovery) neighbours of a router: address -> MAC, with a
/// fixed capacity and a bounded queue of packets waiting for each unresolved neighbour.
///
/// Open addressing with linear probing on the keyed `TableHash`, with 25 % more slots than
/// neighbours; entries are overwritten, never emptied, so probe runs stay intact and a lookup
/// ends at the first slot never used. Below `capacity` neighbours a new one always gets a slot;
/// once the table holds `capacity`, a new neighbour reuses the stalest entry without packets
/// waiting among the first 16 slots of its probe run (counted in `reused`), or else takes an
/// empty slot while 7/8 of the slots are not yet in use; beyond that it is refused.
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

    /// The most neighbours held without reusing an entry.
    public let capacity: Int
    /// Slots (a power of two, at least 25 % more than `capacity`): the range of `self[slot]`.
    public var slotCount: Int { mask + 1 }
    public let queueDepth: Int
    /// The keyed hash.
    public let hasher: TableHash
    /// Entries in use.
    public private(set) var count = 0
    /// Entries reused for another neighbour because the table held `capacity`.
    public private(set) var reused: UInt64 = 0
    /// How many slots of a probe run a full table searches for an entry to reuse.
    static let reuseWindow = 16
    /// The most slots ever in use (7/8 of them), so every probe run ends at an empty slot.
    let slotLimit: Int
    let mask: Int
    let entries: UnsafeMutablePointer<Entry>
    /// Queued packets: `queueDepth` slots per entry.
    let queue: UnsafeMutablePointer<PacketMetadata>
    /// Slots of the entries that have packets queued (checked every batch for retries).
    let pending: UnsafeMutablePointer<Int32>
    /// How many entries are in `pending`.
    public private(set) var pendingCount = 0

    /// A table for `capacity` neighbours with `queueDepth` packets queued each.
    public init(capacity: Int, queueDepth: Int, hasher: TableHash = .process) {
        let capacity = max(capacity, 1)
        var slots = 16
        while slots < capacity + capacity / 4 + 1 { slots <<= 1 }
        self.capacity = capacity
        self.queueDepth = max(queueDepth, 1)
        self.hasher = hasher
        mask = slots - 1
        slotLimit = slots - slots / 8
        entries = .allocate(capacity: slots)
        entries.initialize(
            repeating: Entry(
                address: .unspecified, mac: 0, wireMAC: 0, reachableUntil: 0, lastSolicitation: 0,
                solicitations: 0, queued: 0, interface: 0, inUse: false), count: slots)
        queue = .allocate(capacity: slots * self.queueDepth)
        pending = .allocate(capacity: slots)
    }

    deinit {
        entries.deallocate()
        queue.deallocate()
        pending.deallocate()
    }

    @inline(__always)
    func home(_ address: IPv6Address) -> Int {
        Int(truncatingIfNeeded: hasher.hash(address.high, address.low)) & mask
    }

    /// The slot of `address`, or -1.
    public func find(_ address: IPv6Address) -> Int {
        var slot = home(address)
        while true {
            let entry = entries + slot
            if !entry.pointee.inUse { return -1 }
            if entry.pointee.address == address { return slot }
            slot = (slot &+ 1) & mask
        }
    }

    /// The slot of `address`, creating an unresolved entry when there is none; -1 when the
    /// table holds `capacity` neighbours and none near the address's home can be reused.
    public func findOrCreate(_ address: IPv6Address, interface: Int, now: UInt64) -> Int {
        var slot = home(address)
        var reusable = -1
        var reusableAge = UInt64.max
        var probe = 0
        while true {
            let entry = entries[slot]
            if !entry.inUse { break }
            if entry.address == address { return slot }
            if probe < Self.reuseWindow && entry.queued == 0 && entry.reachableUntil < now && entry.reachableUntil < reusableAge {
                reusable = slot
                reusableAge = entry.reachableUntil
            }
            slot = (slot &+ 1) & mask
            probe &+= 1
        }
        if count >= capacity && reusable >= 0 {
            reused &+= 1
            slot = reusable
        } else if count < slotLimit {
            count += 1
        } else {
            return -1
        }
        entries[slot] = Entry(
            address: address, mac: 0, wireMAC: 0, reachableUntil: 0, lastSolicitation: 0, solicitations: 0,
            queued: 0, interface: UInt16(interface), inUse: true)
        return slot
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
