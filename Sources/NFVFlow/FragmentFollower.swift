import NFVPacket

/// Virtual reassembly for stages that judge or rewrite by ports (the same idea as VPP's
/// virtual reassembly): only a datagram's first fragment carries its ports, so what a stage
/// decided for the first fragment (`Decision`: a NAT's translation, the firewall rule that let
/// it through) is remembered per datagram (source, destination, identification, protocol) and
/// applied to each later fragment; nothing is copied or reassembled.
///
/// A later fragment that arrives before its first fragment is held (at most `holdCapacity`
/// fragments in all, each for at most `timeout`) and let go, with the decision applied, when
/// the first one is decided; it then continues through the stages after this one
/// (`Verdict.resumed`). What is held longer is dropped and counted in `expired`, as the
/// kernel's defragmentation gives up after ipfrag_time (30 s); a fragment that finds no room is
/// refused (`refused`). A datagram whose first fragment is dropped has its later fragments
/// held until they expire, as the kernel drops a datagram it cannot reassemble.
public final class FragmentFollower<Decision> {
    /// A datagram whose first fragment was decided.
    struct Datagram {
        var first: UInt64
        var second: UInt64
        var decision: Decision
        var expires: UInt64
    }

    /// A later fragment waiting for its first fragment.
    struct Held {
        var packet: PacketMetadata
        var first: UInt64
        var second: UInt64
        var expires: UInt64
    }

    let timeout: UInt64
    let datagrams: UnsafeMutablePointer<Datagram?>
    let datagramCapacity: Int
    let index: IndexTable
    var freeDatagrams: [Int32]
    let held: UnsafeMutablePointer<Held>
    let holdCapacity: Int
    var heldCount = 0
    var sweepCursor = 0
    /// Later fragments that followed their first fragment's decision, held, let go after their
    /// first fragment, given up on after the timeout, and refused (no room to hold them or to
    /// remember their datagram).
    public private(set) var followed: UInt64 = 0
    public private(set) var heldTotal: UInt64 = 0
    public private(set) var released: UInt64 = 0
    public private(set) var expired: UInt64 = 0
    public private(set) var refused: UInt64 = 0

    public init(datagramCapacity: Int = 4096, holdCapacity: Int = 256, timeoutSeconds: UInt64 = 30) {
        timeout = timeoutSeconds * 1_000_000_000
        self.datagramCapacity = datagramCapacity
        datagrams = .allocate(capacity: datagramCapacity)
        datagrams.initialize(repeating: nil, count: datagramCapacity)
        index = IndexTable(capacity: datagramCapacity)
        freeDatagrams = (0..<Int32(datagramCapacity)).reversed()
        self.holdCapacity = holdCapacity
        held = .allocate(capacity: holdCapacity)
    }

    deinit {
        datagrams.deinitialize(count: datagramCapacity)
        datagrams.deallocate()
        held.deallocate()
    }

    /// Fragments held now.
    public var waitingCount: Int { heldCount }

    /// Whether anything is held or remembered (what `sweep` would look at).
    public var isActive: Bool { heldCount > 0 || freeDatagrams.count < datagramCapacity }

    /// The datagram key of the IPv4 packet at `l3`.
    @inline(__always)
    public static func key(_ l3: UnsafeMutableRawPointer) -> (UInt64, UInt64) {
        (
            UInt64(l3.loadNetworkUInt32(at: 12)) << 32 | UInt64(l3.loadNetworkUInt32(at: 16)),
            UInt64(l3.loadNetworkUInt16(at: 4)) << 8 | UInt64(l3.loadByte(at: 9))
        )
    }

    /// Remembers that the first fragment of the datagram `key` was decided `decision`, and
    /// lets go of the later fragments held for it into `emit`, each after `apply` (given its
    /// IPv4 header and metadata).
    public func firstFragmentDecided(
        _ key: (UInt64, UInt64), decision: Decision, now: UInt64, pool: PacketPool, emit: PacketBatch,
        apply: (UnsafeMutableRawPointer, PacketMetadata, Decision) -> Void
    ) {
        let slot: Int
        if let found = index.find(key.0, key.1) {
            slot = Int(found)
        } else if let free = freeDatagrams.popLast() {
            slot = Int(free)
            index.insert(key.0, key.1, value: free)
        } else {
            refused &+= 1  // no room to remember it: its later fragments will be held, then time out
            return
        }
        datagrams[slot] = Datagram(first: key.0, second: key.1, decision: decision, expires: now &+ timeout)
        var position = 0
        while position < heldCount {
            guard held[position].first == key.0 && held[position].second == key.1 else {
                position &+= 1
                continue
            }
            var packet = held[position].packet
            held[position] = held[heldCount &- 1]
            heldCount &-= 1
            apply(pool.slot(packet.id) + Int(packet.dataOffset) + Int(packet.l3Offset), packet, decision)
            packet.verdict = .resumed
            packet.timestamp = now  // it leaves now, right after its first fragment
            if emit.append(packet) {
                released &+= 1
            } else {
                pool.release(packet.id)
                expired &+= 1
            }
        }
    }

    /// The later fragment `position` of `batch` (IPv4 header at `l3`): its datagram's decision
    /// when the first fragment was decided (`apply` has been applied to it); nil when it is
    /// held until that comes, or dropped with `refusal` when there is no room to hold it.
    public func laterFragment(
        _ position: Int, batch: PacketBatch, l3: UnsafeMutableRawPointer, now: UInt64, refusal: DropReason,
        apply: (UnsafeMutableRawPointer, PacketMetadata, Decision) -> Void
    ) -> Decision? {
        let key = Self.key(l3)
        if let found = index.find(key.0, key.1), let datagram = datagrams[Int(found)] {
            if datagram.expires > now {
                apply(l3, batch.metadata[position], datagram.decision)
                followed &+= 1
                return datagram.decision
            }
            forget(Int(found))
        }
        guard heldCount < holdCapacity else {
            refused &+= 1
            batch.drop(position, reason: refusal)
            return nil
        }
        held[heldCount] = Held(packet: batch.metadata[position], first: key.0, second: key.1, expires: now &+ timeout)
        heldCount &+= 1
        heldTotal &+= 1
        batch.hold(position)
        return nil
    }

    /// Drops held fragments whose first fragment did not come in time, and forgets a few
    /// expired datagrams.
    public func sweep(now: UInt64, pool: PacketPool) {
        var position = 0
        while position < heldCount {
            if held[position].expires <= now {
                pool.release(held[position].packet.id)
                held[position] = held[heldCount &- 1]
                heldCount &-= 1
                expired &+= 1
            } else {
                position &+= 1
            }
        }
        for _ in 0..<min(16, datagramCapacity) {
            if let datagram = datagrams[sweepCursor], datagram.expires <= now { forget(sweepCursor) }
            sweepCursor = sweepCursor &+ 1 == datagramCapacity ? 0 : sweepCursor &+ 1
        }
    }

    func forget(_ slot: Int) {
        guard let datagram = datagrams[slot] else { return }
        index.remove(datagram.first, datagram.second)
        datagrams[slot] = nil
        freeDatagrams.append(Int32(slot))
    }
}
