import NFVPacket

/// A fixed-capacity hash index from a two-word key to a 32-bit value: open addressing with
/// linear probing up to the first empty slot and backward-shift removal (no tombstones), keyed
/// by the process's `TableHash`. The stateful VNFs use it to find their own records by more
/// than one key (a NAT mapping by its inside and by its outside endpoint).
///
/// Below `capacity` keys an insert always succeeds, however the keys cluster: the table has 25 %
/// more slots than keys, so a probe run always ends at an empty slot.
public final class IndexTable {
    @usableFromInline struct Slot {
        @usableFromInline var first: UInt64
        @usableFromInline var second: UInt64
        @usableFromInline var value: Int32
        @usableFromInline var used: Bool
    }

    /// Slots (a power of two).
    public let slotCount: Int
    /// The most keys the index holds.
    public let capacity: Int
    /// The keyed hash.
    public let hasher: TableHash
    @usableFromInline let mask: Int
    @usableFromInline let slots: UnsafeMutablePointer<Slot>
    /// Keys stored.
    public private(set) var count = 0

    /// An index for `capacity` keys (25 % headroom for probing).
    public init(capacity: Int, hasher: TableHash = .process) {
        var size = 16
        while size < capacity + capacity / 4 + 1 { size <<= 1 }
        slotCount = size
        mask = size - 1
        self.capacity = max(capacity, 1)
        self.hasher = hasher
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(first: 0, second: 0, value: 0, used: false), count: size)
    }

    deinit { slots.deallocate() }

    @inlinable @inline(__always)
    func home(_ first: UInt64, _ second: UInt64) -> Int {
        Int(truncatingIfNeeded: hasher.hash(first, second)) & mask
    }

    /// The value stored for the key, or nil.
    @inlinable @inline(__always)
    public func find(_ first: UInt64, _ second: UInt64) -> Int32? {
        var slot = home(first, second)
        while true {
            let entry = slots + slot
            if !entry.pointee.used { return nil }
            if entry.pointee.first == first && entry.pointee.second == second { return entry.pointee.value }
            slot = (slot &+ 1) & mask
        }
    }

    /// Stores `value` for the key (replacing an existing one); false only when `capacity` other
    /// keys are stored.
    @discardableResult
    public func insert(_ first: UInt64, _ second: UInt64, value: Int32) -> Bool {
        var slot = home(first, second)
        while true {
            let entry = slots + slot
            if !entry.pointee.used {
                guard count < capacity else { return false }
                count += 1
                entry.pointee = Slot(first: first, second: second, value: value, used: true)
                return true
            }
            if entry.pointee.first == first && entry.pointee.second == second {
                entry.pointee.value = value
                return true
            }
            slot = (slot &+ 1) & mask
        }
    }

    /// Removes the key; false when it was not there.
    @discardableResult
    public func remove(_ first: UInt64, _ second: UInt64) -> Bool {
        var slot = home(first, second)
        while true {
            let entry = slots[slot]
            if !entry.used { return false }
            if entry.first == first && entry.second == second {
                removeSlot(slot)
                return true
            }
            slot = (slot &+ 1) & mask
        }
    }

    func removeSlot(_ start: Int) {
        var hole = start
        var next = (start + 1) & mask
        while slots[next].used && next != start {
            let homeSlot = home(slots[next].first, slots[next].second)
            if (hole &- homeSlot) & mask < (next &- homeSlot) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole].used = false
        count -= 1
    }
}
