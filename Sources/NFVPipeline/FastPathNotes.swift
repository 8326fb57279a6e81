import NFVPacket

/// What the chain's fast path knows about each packet in flight through the stages' own path,
/// indexed by the packet's pool id: which fast-path stages noted a lease for it (and which),
/// and, for a packet the flow cache may learn, a copy of its headers and metadata as they
/// entered the stages together with its cache key.
///
/// Memory is allocated once for the pool's slot count; nothing is allocated per packet.
public final class FastPathNotes {
    /// Bytes of headers copied per packet: Ethernet, two VLAN tags, IPv6 and TCP fit.
    public static let snapshotByteCount = 128
    /// The mask bit of a packet the cache may learn (its headers were copied on entry).
    @usableFromInline static let learnableBit: UInt32 = 1 << 31

    /// Fast-path stages (leases per packet).
    public let stageCount: Int
    /// Pool slots covered.
    public let slotCount: Int
    @usableFromInline let leases: UnsafeMutablePointer<FastPathLease>
    /// Per packet id: bit `slot` for each stage that noted a lease, `learnableBit`.
    @usableFromInline let masks: UnsafeMutablePointer<UInt32>
    let snapshots: UnsafeMutableRawPointer
    let entryMetadata: UnsafeMutablePointer<PacketMetadata>
    let keys: UnsafeMutablePointer<FlowCacheKey>
    let hashes: UnsafeMutablePointer<UInt32>
    /// Words for what a lease does not check: an identity that is always 0, a deadline that
    /// never comes.
    public let neutralIdentity: UnsafeMutablePointer<UInt32>
    public let neutralDeadline: UnsafeMutablePointer<UInt64>

    /// Notes for `stageCount` stages over a pool of `slotCount` buffers.
    public init(stageCount: Int, slotCount: Int) {
        precondition((1...31).contains(stageCount), "a fast path covers 1 to 31 stages")
        self.stageCount = stageCount
        self.slotCount = slotCount
        neutralIdentity = .allocate(capacity: 1)
        neutralIdentity.initialize(to: 0)
        neutralDeadline = .allocate(capacity: 1)
        neutralDeadline.initialize(to: .max)
        leases = .allocate(capacity: slotCount * stageCount)
        leases.initialize(
            repeating: FastPathLease(
                identity: neutralIdentity, expected: 0, mtu: 0, deadline: neutralDeadline, timeout: 0,
                counters: nil),
            count: slotCount * stageCount)
        masks = .allocate(capacity: slotCount)
        masks.initialize(repeating: 0, count: slotCount)
        snapshots = .allocate(byteCount: slotCount * Self.snapshotByteCount, alignment: 64)
        entryMetadata = .allocate(capacity: slotCount)
        keys = .allocate(capacity: slotCount)
        hashes = .allocate(capacity: slotCount)
    }

    deinit {
        leases.deallocate()
        masks.deallocate()
        snapshots.deallocate()
        entryMetadata.deallocate()
        keys.deallocate()
        hashes.deallocate()
        neutralIdentity.deallocate()
        neutralDeadline.deallocate()
    }

    /// Records that the stage in `slot` forwarded packet `id` by the decision `lease` names.
    @inlinable @inline(__always)
    public func note(id: UInt32, slot: Int, _ lease: FastPathLease) {
        leases[Int(id) &* stageCount &+ slot] = lease
        masks[Int(id)] |= 1 << UInt32(slot)
    }

    /// Forgets what was noted for packet `id` (it enters the stages' path now).
    @inline(__always)
    func clear(id: UInt32) {
        masks[Int(id)] = 0
    }

    /// Copies the headers and metadata of a packet the cache may learn after the stages.
    @inline(__always)
    func remember(_ packet: PacketMetadata, frame: UnsafeRawPointer, key: FlowCacheKey, hash: UInt32) {
        let id = Int(packet.id)
        let count = min(Self.snapshotByteCount, Int(packet.length))
        (snapshots + id &* Self.snapshotByteCount).copyMemory(from: frame, byteCount: count)
        entryMetadata[id] = packet
        keys[id] = key
        hashes[id] = hash
        masks[id] = Self.learnableBit
    }

    /// The headers of packet `id` as they entered the stages.
    func snapshot(id: UInt32) -> UnsafeRawPointer {
        UnsafeRawPointer(snapshots + Int(id) &* Self.snapshotByteCount)
    }
}
