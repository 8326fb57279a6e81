/// A fixed-capacity hash index from a two-word key to a 32-bit value: open addressing with
/// linear probing, a bounded probe length and backward-shift removal (no tombstones). The
/// stateful VNFs use it to find their own records by more than one key (a NAT mapping by its
/// inside and by its outside endpoint).
public final class IndexTable {
    @usableFromInline struct Slot {
        @usableFromInline var first: UInt64
        @usableFromInline var second: UInt64
        @usableFromInline var value: Int32
        @usableFromInline var used: Bool
    }

    /// Slots (a power of two).
    public let slotCount: Int
    /// The longest probe sequence.
    public let maximumProbeCount: Int
    @usableFromInline let mask: Int
    @usableFromInline let slots: UnsafeMutablePointer<Slot>
    /// Keys stored.
    public private(set) var count = 0

    /// An index for about `capacity` keys (25 % headroom for probing).
    public init(capacity: Int, maximumProbeCount: Int = 32) {
        var size = 16
        while size < capacity + capacity / 4 { size <<= 1 }
        slotCount = size
        mask = size - 1
        self.maximumProbeCount = max(1, min(maximumProbeCount, size))
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(first: 0, second: 0, value: 0, used: false), count: size)
    }

    deinit { slots.deallocate() }

    @inlinable @inline(__always)
    static func hash(_ first: UInt64, _ second: UInt64) -> Int {
        let mixed = (first &* 0x9E37_79B9_7F4A_7C15 ^ second) &* 0xFF51_AFD7_ED55_8CCD
        return Int(truncatingIfNeeded: mixed ^ (mixed >> 29))
    }

    /// The value stored for the key, or nil.
    @inlinable @inline(__always)
    public func find(_ first: UInt64, _ second: UInt64) -> Int32? {
        var slot = Self.hash(first, second) & mask
        var remaining = maximumProbeCount  // at least 1 (init)
        repeat {
            let entry = slots + slot
            if !entry.pointee.used { return nil }
            if entry.pointee.first == first && entry.pointee.second == second { return entry.pointee.value }
            slot = (slot &+ 1) & mask
            remaining &-= 1
        } while remaining > 0
        return nil
    }

    /// Stores `value` for the key (replacing an existing one); false when the probe window is
    /// full.
    @discardableResult
    public func insert(_ first: UInt64, _ second: UInt64, value: Int32) -> Bool {
        var slot = Self.hash(first, second) & mask
        for _ in 0..<maximumProbeCount {
            let entry = slots + slot
            if !entry.pointee.used || (entry.pointee.first == first && entry.pointee.second == second) {
                if !entry.pointee.used { count += 1 }
                entry.pointee = Slot(first: first, second: second, value: value, used: true)
                return true
            }
            slot = (slot &+ 1) & mask
        }
        return false
    }

    /// Removes the key; false when it was not there.
    @discardableResult
    public func remove(_ first: UInt64, _ second: UInt64) -> Bool {
        var slot = Self.hash(first, second) & mask
        for _ in 0..<maximumProbeCount {
            let entry = slots[slot]
            if !entry.used { return false }
            if entry.first == first && entry.second == second {
                removeSlot(slot)
                return true
            }
            slot = (slot &+ 1) & mask
        }
        return false
    }

    func removeSlot(_ start: Int) {
        var hole = start
        var next = (start + 1) & mask
        while slots[next].used && next != start {
            let home = Self.hash(slots[next].first, slots[next].second) & mask
            if (hole &- home) & mask < (next &- home) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole].used = false
        count -= 1
    }
}
