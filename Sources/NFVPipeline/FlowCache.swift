import NFVPacket

#if canImport(Glibc)
    import Glibc
#endif

/// The chain's cache of established flows (see `FastPathStage`): a fixed-capacity hash table
/// from `FlowCacheKey` to a `FlowCacheEntry` and each fast-path stage's lease.
///
/// - Memory: `slotCount` entries of 128 bytes and `slotCount * stageCount` leases, from
///   zeroed memory the kernel provides page by page as the table fills.
/// - Hash: the keyed `TableHash` of all seven key words.
/// - Lookup: open addressing with linear probing up to the first empty slot; removal shifts
///   later entries back (no tombstones). Below `capacity` flows an insert never fails or
///   evicts; at `capacity` a new flow is simply not cached (counted in `FastPathCounters.full`)
///   and keeps taking the stages' own path.
/// - Expiry: a flow no packet took for `idleTimeout` goes (a sweep examines a bounded number
///   of slots per batch). A cache entry never outlives the stage state it names: every hit
///   checks the stages' leases, and a failed one removes the entry.
public final class FlowCache {
    /// Flows cached per chain (per worker) unless the chain says otherwise.
    public static let defaultCapacity = 32_768
    /// Nanoseconds without a packet after which a cached flow goes.
    public static let idleTimeout: UInt64 = 10_000_000_000

    /// The most flows cached at once.
    public let capacity: Int
    /// Slots in the table (a power of two, 25 % more than `capacity`).
    public let slotCount: Int
    /// Handles per entry (the chain's fast-path stages).
    public let stageCount: Int
    public let hasher: TableHash
    @usableFromInline let mask: Int
    public let entries: UnsafeMutablePointer<FlowCacheEntry>
    public let leases: UnsafeMutablePointer<FastPathLease>
    /// Flows cached.
    public private(set) var count = 0
    var sweepCursor = 0

    public init(capacity: Int, stageCount: Int, hasher: TableHash = .process) {
        precondition(capacity > 0 && stageCount > 0, "a flow cache needs room and stages")
        var slots = 16
        while slots < capacity + capacity / 4 + 1 { slots <<= 1 }
        self.capacity = capacity
        self.slotCount = slots
        self.stageCount = stageCount
        self.hasher = hasher
        mask = slots - 1
        guard let table = calloc(slots, MemoryLayout<FlowCacheEntry>.stride),
            let leaseTable = calloc(slots * stageCount, MemoryLayout<FastPathLease>.stride)
        else { fatalError("cannot allocate a flow cache of \(slots) slots") }
        entries = table.bindMemory(to: FlowCacheEntry.self, capacity: slots)
        leases = leaseTable.bindMemory(to: FastPathLease.self, capacity: slots * stageCount)
    }

    deinit {
        free(entries)
        free(leases)
    }

    /// The slot of `key`, or -1.
    @inlinable @inline(__always)
    public func find(_ key: FlowCacheKey, hash: UInt32) -> Int {
        var slot = Int(hash) & mask
        while true {
            let entry = entries + slot
            if !entry.pointee.isUsed { return -1 }
            if entry.pointee.hash == hash && entry.pointee.key == key { return slot }
            slot = (slot &+ 1) & mask
        }
    }

    /// Caches `entry` (its key and hash set) with `leases` (`stageCount` of them, the stage
    /// slots' order). Returns false when the key is cached already or the cache is full.
    func insert(_ entry: FlowCacheEntry, leases source: UnsafePointer<FastPathLease>) -> Result {
        var slot = Int(entry.hash) & mask
        while entries[slot].isUsed {
            if entries[slot].hash == entry.hash && entries[slot].key == entry.key { return .present }
            slot = (slot &+ 1) & mask
        }
        guard count < capacity else { return .full }
        entries[slot] = entry
        (leases + slot &* stageCount).update(from: source, count: stageCount)
        count &+= 1
        return .inserted
    }

    /// What `insert` did.
    enum Result { case inserted, present, full }

    /// Removes the flow in `slot`, shifting later entries of its probe run back.
    func remove(_ slot: Int) {
        var hole = slot
        var next = (slot &+ 1) & mask
        while entries[next].isUsed && next != slot {
            let home = Int(entries[next].hash) & mask
            if (hole &- home) & mask < (next &- home) & mask {
                entries[hole] = entries[next]
                (leases + hole &* stageCount).update(from: leases + next &* stageCount, count: stageCount)
                hole = next
            }
            next = (next &+ 1) & mask
        }
        entries[hole].isUsed = false
        count &-= 1
    }

    /// Removes the flow with `key`, if cached.
    func remove(_ key: FlowCacheKey, hash: UInt32) {
        let slot = find(key, hash: hash)
        if slot >= 0 { remove(slot) }
    }

    /// Forgets every flow.
    public func removeAll() {
        guard count > 0 else { return }
        memset(entries, 0, slotCount * MemoryLayout<FlowCacheEntry>.stride)
        count = 0
    }

    /// Examines up to `slotBudget` slots from where the last sweep stopped and removes flows
    /// idle since before `now - idleTimeout`. Returns how many it removed.
    @discardableResult
    func sweep(now: UInt64, slotBudget: Int = 32) -> Int {
        guard count > 0, now > Self.idleTimeout else { return 0 }
        let oldest = now &- Self.idleTimeout
        var removed = 0
        var cursor = sweepCursor
        for _ in 0..<min(slotBudget, slotCount) {
            if entries[cursor].isUsed && entries[cursor].lastHit < oldest {
                remove(cursor)
                removed &+= 1
                continue  // a shifted entry may now sit in this slot
            }
            cursor = (cursor &+ 1) & mask
        }
        sweepCursor = cursor
        return removed
    }
}
