import NFVPacket

/// The switch's learnt stations: (MAC, VLAN) -> port, each alive for the ageing time after it
/// was last heard from.
///
/// Open addressing with linear probing on the keyed `TableHash`, with 25 % more slots than
/// stations and backward-shift removal (no tombstones): an expired entry a lookup meets is
/// removed, and `sweep` removes expired entries a few slots per batch. Below `capacity` live
/// stations a new one is always learnt, however the addresses cluster (MACs of one vendor differ
/// in their last bytes only). A full table first sweeps 64 slots for expired entries (the sweep
/// goes on from there next time, and once a second over 1,024); when none is found the newcomer
/// is not learnt (counted in `refused`) and frames to it keep flooding, as on a
/// hardware switch whose table is full.
public final class MACTable {
    struct Entry {
        var mac: UInt64
        var expires: UInt64
        var vlan: UInt16
        var port: UInt16
        var inUse: Bool
    }

    /// The most stations held.
    public let capacity: Int
    /// The keyed hash.
    public let hasher: TableHash
    /// Slots in use.
    public private(set) var count = 0
    /// Stations not learnt because the table was full of live entries.
    public private(set) var refused: UInt64 = 0
    let mask: Int
    let entries: UnsafeMutablePointer<Entry>
    var sweepCursor = 0
    /// Slots a full table examines for expired stations before it refuses a new one.
    static let fullTableSweep = 64

    /// A table for `capacity` stations.
    public init(capacity: Int, hasher: TableHash = .process) {
        let capacity = max(capacity, 1)
        var slots = 16
        while slots < capacity + capacity / 4 + 1 { slots <<= 1 }
        self.capacity = capacity
        self.hasher = hasher
        mask = slots - 1
        entries = .allocate(capacity: slots)
        entries.initialize(repeating: Entry(mac: 0, expires: 0, vlan: 0, port: 0, inUse: false), count: slots)
    }

    deinit { entries.deallocate() }

    @inline(__always)
    func home(_ mac: UInt64, _ vlan: UInt16) -> Int {
        Int(truncatingIfNeeded: hasher.hash(mac, UInt64(vlan))) & mask
    }

    /// The port `mac` was learnt on in `vlan`, if its entry is alive at `now`.
    @inline(__always)
    public func port(of mac: UInt64, vlan: UInt16, now: UInt64) -> UInt16? {
        var slot = home(mac, vlan)
        while true {
            let entry = entries + slot
            if !entry.pointee.inUse { return nil }
            if entry.pointee.mac == mac && entry.pointee.vlan == vlan {
                return entry.pointee.expires > now ? entry.pointee.port : nil
            }
            slot = (slot &+ 1) & mask
        }
    }

    /// Learns that `mac` in `vlan` lives behind `port` until `expires`. Returns true when this
    /// is news (a new station, a station that moved, or one whose entry had expired).
    @inline(__always)
    public func learn(_ mac: UInt64, vlan: UInt16, port: UInt16, now: UInt64, expires: UInt64) -> Bool {
        var slot = home(mac, vlan)
        while true {
            let entry = entries + slot
            if !entry.pointee.inUse { break }
            if entry.pointee.mac == mac && entry.pointee.vlan == vlan {
                let news = entry.pointee.port != port || entry.pointee.expires <= now
                entry.pointee.port = port
                entry.pointee.expires = expires
                return news
            }
            if entry.pointee.expires <= now {
                remove(slot)
                continue  // a later entry may have moved into this slot
            }
            slot = (slot &+ 1) & mask
        }
        if count >= capacity {
            // Full: look for expired stations (a bounded stretch, so a flood of new source MACs
            // costs each frame little) before refusing this one.
            sweep(now: now, slotBudget: Self.fullTableSweep)
            guard count < capacity else {
                refused &+= 1
                return false
            }
            return learn(mac, vlan: vlan, port: port, now: now, expires: expires)
        }
        count += 1
        entries[slot] = Entry(mac: mac, expires: expires, vlan: vlan, port: port, inUse: true)
        return true
    }

    /// Removes the entry in `slot`, shifting later entries of its probe run back.
    func remove(_ start: Int) {
        var hole = start
        var next = (start &+ 1) & mask
        while entries[next].inUse && next != start {
            let homeSlot = home(entries[next].mac, entries[next].vlan)
            if (hole &- homeSlot) & mask < (next &- homeSlot) & mask {
                entries[hole] = entries[next]
                hole = next
            }
            next = (next &+ 1) & mask
        }
        entries[hole].inUse = false
        count -= 1
    }

    /// Examines up to `slotBudget` slots from where the last sweep stopped and removes the
    /// expired entries; the switch calls it once per batch.
    public func sweep(now: UInt64, slotBudget: Int = 32) {
        var cursor = sweepCursor
        for _ in 0..<min(slotBudget, mask + 1) {
            if entries[cursor].inUse && entries[cursor].expires <= now {
                remove(cursor)
                continue  // a shifted entry may now sit in this slot
            }
            cursor = (cursor &+ 1) & mask
        }
        sweepCursor = cursor
    }

    /// The stations alive at `now`: (MAC, VLAN, port, seconds left).
    public func stations(now: UInt64) -> [(mac: UInt64, vlan: UInt16, port: UInt16, secondsLeft: UInt64)] {
        liveEntries(now: now).map { ($0.mac, $0.vlan, $0.port, ($0.expires - now) / 1_000_000_000) }
    }

    /// The stations alive at `now`, with the time (ns) each expires.
    public func liveEntries(now: UInt64) -> [(mac: UInt64, vlan: UInt16, port: UInt16, expires: UInt64)] {
        (0...mask).compactMap { slot in
            let entry = entries[slot]
            return entry.inUse && entry.expires > now ? (entry.mac, entry.vlan, entry.port, entry.expires) : nil
        }
    }
}
