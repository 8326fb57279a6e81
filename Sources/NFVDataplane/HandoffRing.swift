import NFVPacket
import NFVPipeline
import Synchronization

/// A lock-free single-producer/single-consumer ring of frames from one worker to another:
/// how a worker hands a frame to the worker that owns its flow (`FlowSteering`).
///
/// The slots are allocated once. `push` copies the frame into the next free slot (one memcpy;
/// packet buffers never cross pools, so each worker's pool stays single-threaded) and publishes
/// it with a release store of the tail; the consumer reads the tail with acquire, copies frames
/// out into its own pool buffers (`HandoffSource`), and releases the slots by advancing the
/// head. A full ring refuses the frame (the caller counts `handoff_ring_full`); it never waits.
public final class HandoffRing: @unchecked Sendable {
    /// Number of slots (a power of two).
    public let capacity: Int
    /// Bytes of frame a slot holds.
    public let slotByteCount: Int
    let storage: UnsafeMutableRawPointer
    let lengths: UnsafeMutablePointer<UInt32>  // frame length << 16 | in port
    /// Each slot's offload as the TAP reported it (the receiving worker's parse stage checks it).
    let offloads: UnsafeMutablePointer<PacketOffload>
    /// Next slot to read (written by the consumer only).
    let head = Atomic<Int>(0)
    /// Next slot to write (written by the producer only).
    let tail = Atomic<Int>(0)
    /// The producer's last look at `head` (producer-local), so most pushes skip the atomic load.
    var cachedHead = 0

    public init(capacity: Int = 1024, slotByteCount: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "a ring's capacity is a power of two")
        self.capacity = capacity
        self.slotByteCount = slotByteCount
        storage = .allocate(byteCount: capacity * slotByteCount, alignment: 64)
        lengths = .allocate(capacity: capacity)
        lengths.initialize(repeating: 0, count: capacity)
        offloads = .allocate(capacity: capacity)
        offloads.initialize(repeating: PacketOffload(), count: capacity)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        offloads.deallocate()
    }

    /// Producer side: copies `frame` (arrived on `inPort`, with `offload`) into the ring; false
    /// when the ring is full or the frame does not fit a slot.
    @inline(__always)
    public func push(_ frame: UnsafeRawBufferPointer, inPort: UInt16, offload: PacketOffload = PacketOffload()) -> Bool {
        guard frame.count <= slotByteCount, frame.count <= 0xFFFF else { return false }
        let position = tail.load(ordering: .relaxed)
        if position &- cachedHead >= capacity {
            cachedHead = head.load(ordering: .acquiring)
            if position &- cachedHead >= capacity { return false }
        }
        let slot = position & (capacity - 1)
        if let source = frame.baseAddress, frame.count > 0 {
            (storage + slot * slotByteCount).copyMemory(from: source, byteCount: frame.count)
        }
        lengths[slot] = UInt32(frame.count) << 16 | UInt32(inPort)
        offloads[slot] = offload
        tail.store(position &+ 1, ordering: .sequentiallyConsistent)
        return true
    }

    /// Frames waiting (either side may ask; the consumer's answer is exact).
    public var waitingCount: Int { tail.load(ordering: .sequentiallyConsistent) &- head.load(ordering: .relaxed) }

    /// Consumer side: appends up to `limit` waiting frames to `batch` as copies in its pool,
    /// all of one in-port: the chain runs a batch in the direction of its first packet's port,
    /// so the pop stops where the next frame arrived on another port (it starts the next
    /// batch). Frames the pool has no buffer for stay in the ring for the next round.
    public func pop(into batch: PacketBatch, limit: Int, timestamp: UInt64) -> Int {
        let start = head.load(ordering: .relaxed)
        let end = tail.load(ordering: .acquiring)
        var position = start
        var taken = 0
        let batchPort = position != end ? UInt16(truncatingIfNeeded: lengths[position & (capacity - 1)]) : 0
        while position != end, taken < limit, !batch.isFull {
            let slot = position & (capacity - 1)
            let word = lengths[slot]
            if UInt16(truncatingIfNeeded: word) != batchPort { break }
            let frame = UnsafeRawBufferPointer(start: storage + slot * slotByteCount, count: Int(word >> 16))
            guard batch.appendCopy(of: frame, inPort: UInt16(truncatingIfNeeded: word), timestamp: timestamp) == .appended else { break }
            batch.metadata[batch.count - 1].offload = offloads[slot]
            position &+= 1
            taken += 1
        }
        if position != start { head.store(position, ordering: .releasing) }
        return taken
    }
}
