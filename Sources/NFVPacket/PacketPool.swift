/// A fixed set of equal-size packet buffers allocated once, addressed by `UInt32` ids.
///
/// Allocation and release are a push or pop on a free-id stack: no system allocator, no
/// reference counting per packet. A pool belongs to one thread (one worker); it is not
/// synchronised.
public final class PacketPool {
    /// How many buffers the pool holds.
    public let slotCount: Int
    /// Bytes per buffer, headroom included.
    public let slotByteCount: Int
    /// Bytes kept free in front of each frame, so headers can be pushed without copying.
    public let headroom: Int
    /// The start of the buffer memory (`slotCount * slotByteCount` bytes, 64-byte aligned).
    public let base: UnsafeMutableRawPointer
    @usableFromInline let freeIds: UnsafeMutablePointer<UInt32>
    @usableFromInline let freeCountStorage: UnsafeMutablePointer<Int>

    /// A slot size for GSO super-frames: 64 KiB frames (an IP packet of up to 65,458 bytes
    /// with its Ethernet and VLAN headers) after the default headroom. Memory is reserved, not
    /// touched: a slot costs only the pages its frames reach, so small frames in big slots stay
    /// cheap (the buffers are recycled last-in first-out).
    @inlinable public static var superFrameSlotByteCount: Int { 65_600 }

    /// Creates a pool of `slotCount` buffers of `slotByteCount` bytes each.
    /// - Precondition: `slotByteCount` is a multiple of 64 and larger than `headroom`;
    ///   `slotByteCount - headroom` fits in 16 bits.
    public init(slotCount: Int, slotByteCount: Int = 2048, headroom: Int = 128) {
        precondition(slotCount > 0 && slotCount <= Int(UInt32.max), "slotCount out of range")
        precondition(slotByteCount % 64 == 0 && slotByteCount > headroom, "bad slot size")
        precondition(slotByteCount - headroom <= Int(UInt16.max), "frame size must fit 16 bits")
        precondition(headroom >= 0 && headroom <= Int(UInt16.max), "bad headroom")
        self.slotCount = slotCount
        self.slotByteCount = slotByteCount
        self.headroom = headroom
        self.base = .allocate(byteCount: slotCount * slotByteCount, alignment: 64)
        self.freeIds = .allocate(capacity: slotCount)
        self.freeCountStorage = .allocate(capacity: 1)
        // Hand out low ids first (they are popped from the top of the stack).
        for index in 0..<slotCount {
            freeIds[index] = UInt32(slotCount - 1 - index)
        }
        freeCountStorage.pointee = slotCount
    }

    deinit {
        base.deallocate()
        freeIds.deallocate()
        freeCountStorage.deallocate()
    }

    /// How many buffers are free.
    @inlinable
    public var availableCount: Int { freeCountStorage.pointee }

    /// The largest frame a buffer holds after the headroom.
    @inlinable
    public var maximumFrameByteCount: Int { slotByteCount - headroom }

    /// Takes a free buffer; nil when the pool is exhausted.
    @inlinable
    public func allocate() -> UInt32? {
        let free = freeCountStorage.pointee
        guard free > 0 else { return nil }
        freeCountStorage.pointee = free &- 1
        return freeIds[free &- 1]
    }

    /// Returns a buffer to the pool. Each id must be released exactly once.
    @inlinable
    public func release(_ id: UInt32) {
        let free = freeCountStorage.pointee
        assert(free < slotCount && Int(id) < slotCount, "packet released twice or foreign id")
        freeIds[free] = id
        freeCountStorage.pointee = free &+ 1
    }

    /// The first byte of buffer `id`.
    @inlinable
    public func slot(_ id: UInt32) -> UnsafeMutableRawPointer {
        base + Int(id) &* slotByteCount
    }
}
