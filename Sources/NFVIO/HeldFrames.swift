import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// Frames read from a TAP queue and kept, unprocessed, in arrival order: what a data plane
/// taking over a chain (`nfv-orch migrate`) reads from the queues while the state moves across,
/// and hands to the queue's `TapPort` (`backlog`) to process first, before anything newer.
///
/// Each frame is kept as read, virtio-net header included when the TAP takes offloads. At most
/// `byteLimit` bytes are kept; a frame beyond that is read and dropped, counted in `dropped`,
/// so the kernel's queue keeps moving (the move is then no longer loss-free, and says so).
public final class HeldFrames: @unchecked Sendable {
    var bytes: [UInt8] = []
    var ends: [Int] = []
    var next = 0
    /// The most bytes kept.
    public let byteLimit: Int
    /// Frames read but not kept (the limit was reached).
    public private(set) var dropped = 0
    /// When the first frame was kept (CLOCK_MONOTONIC, ns; 0: none yet).
    public private(set) var firstHeldAt: UInt64 = 0
    /// When the last kept frame was taken out (CLOCK_MONOTONIC, ns; 0: not yet, or none held).
    public internal(set) var drainedAt: UInt64 = 0

    public init(byteLimit: Int = 64 << 20) { self.byteLimit = byteLimit }

    /// How many frames were kept in all.
    public var heldCount: Int { ends.count }
    /// Whether every kept frame was taken out.
    public var isEmpty: Bool { next == ends.count }

    /// Reads every frame `descriptor` (non-blocking) has now and keeps it; returns how many
    /// were read (kept or dropped).
    @discardableResult
    public func hold(from descriptor: Int32, scratch: UnsafeMutableRawBufferPointer) -> Int {
        var read = 0
        while true {
            let count = nfv_read(descriptor, scratch.baseAddress, UInt(scratch.count))
            if count < 0 {
                if errno == EINTR { continue }
                return read
            }
            if count == 0 { return read }
            read += 1
            guard bytes.count + count <= byteLimit else {
                dropped += 1
                continue
            }
            if firstHeldAt == 0 { firstHeldAt = Self.monotonicNow() }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            ends.append(bytes.count)
        }
    }

    /// Copies the oldest frame not yet taken into `destination` (at most `capacity` bytes; a
    /// longer frame is cut, as a read would cut it) and returns its length, or nil when none
    /// is left.
    public func take(into destination: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        guard next < ends.count else { return nil }
        let start = next == 0 ? 0 : ends[next - 1]
        let count = ends[next] - start
        next += 1
        bytes.withUnsafeBytes { source in
            destination.copyMemory(from: source.baseAddress! + start, byteCount: min(count, capacity))
        }
        if next == ends.count {
            drainedAt = Self.monotonicNow()
            bytes = []
        }
        return min(count, capacity)
    }

    /// CLOCK_MONOTONIC now, in ns.
    public static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
