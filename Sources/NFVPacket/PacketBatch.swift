/// Up to `capacity` packets (256 by default) moving through a chain together: their pool ids
/// and per-packet metadata, in one block allocated when the batch is created.
///
/// Stages loop over `metadata[0..<count]` and set verdicts with `drop(_:reason:)` and
/// `punt(_:)`; the chain runner then compacts the survivors to the front. A batch is reused
/// for every round, so nothing is allocated per batch.
public final class PacketBatch {
    /// The usual batch size.
    @inlinable public static var defaultCapacity: Int { 256 }

    /// The most packets the batch holds.
    public let capacity: Int
    /// The pool that owns the batch's buffers.
    public let pool: PacketPool
    /// Per-packet metadata, `capacity` entries; the first `count` are live.
    public let metadata: UnsafeMutablePointer<PacketMetadata>
    @usableFromInline let counts: UnsafeMutablePointer<Int>  // [count, not-forwarded count, first not-forwarded index]

    /// Creates an empty batch over `pool`.
    public init(pool: PacketPool, capacity: Int = PacketBatch.defaultCapacity) {
        precondition(capacity > 0, "a batch holds at least one packet")
        self.capacity = capacity
        self.pool = pool
        self.metadata = .allocate(capacity: capacity)
        self.counts = .allocate(capacity: 3)
        counts.initialize(repeating: 0, count: 3)
    }

    deinit {
        releaseAll()
        metadata.deallocate()
        counts.deallocate()
    }

    /// How many packets are in the batch.
    @inlinable
    public var count: Int {
        get { counts[0] }
        set { counts[0] = newValue }
    }

    /// How many packets got a verdict other than `.forward` since the last compaction.
    @inlinable
    public var notForwardedCount: Int {
        get { counts[1] }
        set { counts[1] = newValue }
    }

    /// The lowest index that got a verdict other than `.forward` since the last compaction
    /// (meaningful when `notForwardedCount > 0`): compaction can start there.
    @inlinable
    public var firstNotForwardedIndex: Int { counts[2] }

    /// Marks the batch compacted: every packet in it is forwarded.
    @inlinable
    public func resetVerdictCounts() {
        counts[1] = 0
    }

    /// True when no more packets fit.
    @inlinable
    public var isFull: Bool { counts[0] >= capacity }

    /// The first byte of packet `index`'s frame.
    @inlinable
    public func frame(_ index: Int) -> UnsafeMutableRawPointer {
        let entry = metadata[index]
        return pool.slot(entry.id) + Int(entry.dataOffset)
    }

    /// Marks packet `index` dropped for `reason`.
    @inlinable
    public func drop(_ index: Int, reason: DropReason) {
        if metadata[index].verdict == .forward { noteNotForwarded(index) }
        metadata[index].verdict = .drop
        metadata[index].dropReason = reason
    }

    /// Marks packet `index` for the control side.
    @inlinable
    public func punt(_ index: Int) {
        if metadata[index].verdict == .forward { noteNotForwarded(index) }
        metadata[index].verdict = .punt
    }

    @inlinable @inline(__always)
    func noteNotForwarded(_ index: Int) {
        if counts[1] == 0 || index < counts[2] { counts[2] = index }
        counts[1] &+= 1
    }

    /// Marks packet `index` as kept by the stage (see `Verdict.held`).
    @inlinable
    public func hold(_ index: Int) {
        if metadata[index].verdict == .forward { noteNotForwarded(index) }
        metadata[index].verdict = .held
    }

    /// Adds an already filled buffer. Returns false (and keeps nothing) when the batch is full.
    @inlinable
    public func append(_ entry: PacketMetadata) -> Bool {
        let index = counts[0]
        guard index < capacity else { return false }
        (metadata + index).initialize(to: entry)
        counts[0] = index &+ 1
        return true
    }

    /// The outcome of `appendGenerated(outPort:timestamp:build:)`.
    public enum GeneratedResult: Sendable, Equatable {
        case appended
        /// No room in the batch or no free buffer in the pool (worth counting).
        case noBuffer
        /// `build` declined (the rules forbid this packet, e.g. an error about an error).
        case notBuilt
    }

    /// Builds a packet the stage originates (a reply, an ICMP error, an ARP request) in a fresh
    /// pool buffer and appends it, to leave through `outPort`. `build` writes the frame at the
    /// pointer and returns its length, or nil to build nothing; the buffer goes back to the pool
    /// unless the packet was appended.
    @inlinable
    public func appendGenerated(outPort: UInt16, timestamp: UInt64, build: (UnsafeMutableRawPointer) -> Int?) -> GeneratedResult {
        guard counts[0] < capacity, let id = pool.allocate() else { return .noBuffer }
        guard let length = build(pool.slot(id) + pool.headroom) else {
            pool.release(id)
            return .notBuilt
        }
        var entry = PacketMetadata(
            id: id, dataOffset: UInt16(pool.headroom), length: UInt16(length), inPort: outPort,
            timestamp: timestamp)
        entry.outPort = outPort
        _ = append(entry)
        return .appended
    }

    /// The outcome of `appendCopy(of:inPort:timestamp:)`.
    public enum AppendResult: Sendable {
        case appended
        case batchFull
        case poolExhausted
        case frameTooLarge
    }

    /// Copies `frame` into a new buffer from the pool and appends it.
    @inlinable
    public func appendCopy(of frame: UnsafeRawBufferPointer, inPort: UInt16, timestamp: UInt64) -> AppendResult {
        guard counts[0] < capacity else { return .batchFull }
        guard frame.count <= pool.maximumFrameByteCount else { return .frameTooLarge }
        guard let id = pool.allocate() else { return .poolExhausted }
        let start = pool.slot(id) + pool.headroom
        if let source = frame.baseAddress, frame.count > 0 {
            start.copyMemory(from: source, byteCount: frame.count)
        }
        let entry = PacketMetadata(
            id: id, dataOffset: UInt16(truncatingIfNeeded: pool.headroom),
            length: UInt16(truncatingIfNeeded: frame.count),
            inPort: inPort, timestamp: timestamp)
        (metadata + counts[0]).initialize(to: entry)
        counts[0] &+= 1
        return .appended
    }

    /// The frame bytes of packet `index` (read-only view).
    @inlinable
    public func bytes(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: frame(index), count: Int(metadata[index].length))
    }

    /// Returns every packet's buffer to the pool and empties the batch.
    public func releaseAll() {
        for index in 0..<counts[0] {
            pool.release(metadata[index].id)
        }
        counts[0] = 0
        counts[1] = 0
        counts[2] = 0
    }
}
