import Synchronization

/// A group of the switch's group table (OpenFlow 1.3.5 section 5.6): buckets of actions, and a
/// type that says which buckets a packet takes. `ALL` runs every bucket on its own copy
/// (flooding, multicast); `SELECT` runs one bucket, chosen by the packet's symmetric flow hash
/// in proportion to the buckets' weights (both directions of a connection take the same
/// bucket; buckets whose watched port is down are left out); `INDIRECT` runs its one bucket
/// (a next hop many flows share); `FAST_FAILOVER` runs the first bucket whose watched port is
/// live. Groups do not chain (a bucket has no group action).
public struct GroupEntry: Sendable, Equatable {
    public enum Kind: UInt8, Sendable, CaseIterable {
        case all = 0
        case select = 1
        case indirect = 2
        case fastFailover = 3

        /// The name `ovs-ofctl` uses (`type=select`).
        public var name: String {
            switch self {
            case .all: "all"
            case .select: "select"
            case .indirect: "indirect"
            case .fastFailover: "ff"
            }
        }
    }

    public struct Bucket: Sendable, Equatable {
        /// Share of a SELECT group's packets (0: never chosen).
        public var weight: UInt16
        /// The chain port whose link decides whether the bucket is live (nil: always live).
        public var watchPort: UInt16?
        public var actions: [FlowAction]

        public init(weight: UInt16 = 0, watchPort: UInt16? = nil, actions: [FlowAction]) {
            self.weight = weight
            self.watchPort = watchPort
            self.actions = actions
        }
    }

    public var id: UInt32
    public var kind: Kind
    public var buckets: [Bucket]
    /// Packets and bytes of the group and of each bucket, shared by every worker's copy of the
    /// switch (a modify that keeps the number of buckets keeps them).
    public let counters: GroupCounters

    public init(id: UInt32, kind: Kind, buckets: [Bucket], counters: GroupCounters? = nil) {
        self.id = id
        self.kind = kind
        self.buckets = buckets
        self.counters = counters.flatMap { $0.bucketCount == buckets.count ? $0 : nil } ?? GroupCounters(bucketCount: buckets.count)
    }

    public static func == (lhs: GroupEntry, rhs: GroupEntry) -> Bool {
        lhs.id == rhs.id && lhs.kind == rhs.kind && lhs.buckets == rhs.buckets
    }
}

/// A group's counters: atomics every worker adds to (relaxed: they are statistics).
public final class GroupCounters: @unchecked Sendable {
    /// packets, bytes, then packets and bytes of each bucket.
    let words: UnsafeMutablePointer<Atomic<UInt64>>
    public let bucketCount: Int
    /// When the group was added (for its duration).
    public let created = ContinuousClock.now

    public init(bucketCount: Int) {
        self.bucketCount = bucketCount
        words = .allocate(capacity: 2 + 2 * bucketCount)
        for index in 0..<(2 + 2 * bucketCount) { (words + index).initialize(to: Atomic(0)) }
    }

    deinit {
        words.deinitialize(count: 2 + 2 * bucketCount)
        words.deallocate()
    }

    @inline(__always)
    func count(bytes: UInt64) {
        words[0].wrappingAdd(1, ordering: .relaxed)
        words[1].wrappingAdd(bytes, ordering: .relaxed)
    }

    @inline(__always)
    func count(bucket: Int, bytes: UInt64) {
        words[2 + 2 * bucket].wrappingAdd(1, ordering: .relaxed)
        words[3 + 2 * bucket].wrappingAdd(bytes, ordering: .relaxed)
    }

    public var packets: UInt64 { words[0].load(ordering: .relaxed) }
    public var bytes: UInt64 { words[1].load(ordering: .relaxed) }
    /// (packets, bytes) of each bucket.
    public var buckets: [(packets: UInt64, bytes: UInt64)] {
        (0..<bucketCount).map { (words[2 + 2 * $0].load(ordering: .relaxed), words[3 + 2 * $0].load(ordering: .relaxed)) }
    }
}
