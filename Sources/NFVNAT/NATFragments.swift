import NFVFlow
import NFVPacket

/// Virtual reassembly for the NAT (RFC 4787 REQ-14: a NAT MUST handle fragments, in order and
/// out of order; the same idea as VPP's virtual reassembly). Only a datagram's first fragment
/// carries its ports, so the translation of the first fragment is remembered per datagram
/// (source, destination, identification, protocol) and applied to the address of each later
/// fragment; nothing is copied or reassembled.
///
/// A later fragment that arrives before its first fragment is held (at most `holdCapacity`
/// fragments in all, each for at most `timeout`) and let go, translated, when the first one is
/// translated; it then continues through the stages after the NAT (`Verdict.resumed`). What is
/// held longer is dropped and counted in `expired`, as the kernel's defragmentation gives up
/// after ipfrag_time (30 s); a fragment that finds no room is refused (`refused`).
final class NATFragments {
    /// A datagram whose first fragment was translated.
    struct Datagram {
        var first: UInt64
        var second: UInt64
        /// The address later fragments get, and whether it replaces their source (outbound)
        /// or their destination (inbound).
        var address: UInt32
        var rewritesSource: Bool
        var expires: UInt64
        var used: Bool
    }

    /// A later fragment waiting for its first fragment.
    struct Held {
        var packet: PacketMetadata
        var first: UInt64
        var second: UInt64
        var expires: UInt64
    }

    let timeout: UInt64
    let datagrams: UnsafeMutablePointer<Datagram>
    let datagramCapacity: Int
    let index: IndexTable
    var freeDatagrams: [Int32]
    let held: UnsafeMutablePointer<Held>
    let holdCapacity: Int
    var heldCount = 0
    var sweepCursor = 0
    /// Later fragments translated, held, let go after their first fragment, given up on after
    /// the timeout, and refused (no room to hold them or to remember their datagram).
    private(set) var translated: UInt64 = 0
    private(set) var heldTotal: UInt64 = 0
    private(set) var released: UInt64 = 0
    private(set) var expired: UInt64 = 0
    private(set) var refused: UInt64 = 0

    init(datagramCapacity: Int = 4096, holdCapacity: Int = 256, timeoutSeconds: UInt64 = 30) {
        timeout = timeoutSeconds * 1_000_000_000
        self.datagramCapacity = datagramCapacity
        datagrams = .allocate(capacity: datagramCapacity)
        datagrams.initialize(
            repeating: Datagram(first: 0, second: 0, address: 0, rewritesSource: false, expires: 0, used: false),
            count: datagramCapacity)
        index = IndexTable(capacity: datagramCapacity)
        freeDatagrams = (0..<Int32(datagramCapacity)).reversed()
        self.holdCapacity = holdCapacity
        held = .allocate(capacity: holdCapacity)
    }

    deinit {
        datagrams.deallocate()
        held.deallocate()
    }

    /// Fragments held now.
    var waitingCount: Int { heldCount }

    /// Whether anything is held or remembered (what `sweep` would look at).
    var isActive: Bool { heldCount > 0 || freeDatagrams.count < datagramCapacity }

    /// The datagram key of the IPv4 packet at `l3`.
    @inline(__always)
    static func key(_ l3: UnsafeMutableRawPointer) -> (UInt64, UInt64) {
        (
            UInt64(l3.loadNetworkUInt32(at: 12)) << 32 | UInt64(l3.loadNetworkUInt32(at: 16)),
            UInt64(l3.loadNetworkUInt16(at: 4)) << 8 | UInt64(l3.loadByte(at: 9))
        )
    }

    /// Remembers that the first fragment of the datagram `key` was translated to `address`
    /// (its new source when `rewritesSource`, else its new destination), and lets go of the
    /// later fragments held for it, translated, into `emit`.
    func firstFragmentTranslated(
        _ key: (UInt64, UInt64), address: UInt32, rewritesSource: Bool, now: UInt64,
        pool: PacketPool, emit: PacketBatch
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
        datagrams[slot] = Datagram(
            first: key.0, second: key.1, address: address, rewritesSource: rewritesSource,
            expires: now &+ timeout, used: true)
        var position = 0
        while position < heldCount {
            guard held[position].first == key.0 && held[position].second == key.1 else {
                position &+= 1
                continue
            }
            var packet = held[position].packet
            held[position] = held[heldCount &- 1]
            heldCount &-= 1
            rewrite(
                pool.slot(packet.id) + Int(packet.dataOffset) + Int(packet.l3Offset), address: address,
                rewritesSource: rewritesSource)
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

    /// Translates the later fragment `index` of `batch` after its datagram's first fragment, or
    /// holds it until that comes (or drops it as `nat_fragment` when there is no room).
    func laterFragment(_ position: Int, batch: PacketBatch, l3: UnsafeMutableRawPointer, now: UInt64) {
        let key = Self.key(l3)
        if let found = index.find(key.0, key.1) {
            let datagram = datagrams + Int(found)
            if datagram.pointee.expires > now {
                rewrite(l3, address: datagram.pointee.address, rewritesSource: datagram.pointee.rewritesSource)
                translated &+= 1
                return
            }
            forget(Int(found))
        }
        guard heldCount < holdCapacity else {
            refused &+= 1
            batch.drop(position, reason: .natFragment)
            return
        }
        held[heldCount] = Held(packet: batch.metadata[position], first: key.0, second: key.1, expires: now &+ timeout)
        heldCount &+= 1
        heldTotal &+= 1
        batch.hold(position)
    }

    /// Drops held fragments whose first fragment did not come in time, and forgets a few
    /// expired datagrams.
    func sweep(now: UInt64, pool: PacketPool) {
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
            if datagrams[sweepCursor].used && datagrams[sweepCursor].expires <= now { forget(sweepCursor) }
            sweepCursor = sweepCursor &+ 1 == datagramCapacity ? 0 : sweepCursor &+ 1
        }
    }

    func forget(_ slot: Int) {
        index.remove(datagrams[slot].first, datagrams[slot].second)
        datagrams[slot].used = false
        freeDatagrams.append(Int32(slot))
    }

    /// Replaces the source or destination address of the IPv4 header at `l3`, with the header
    /// checksum patched (RFC 1624); a later fragment carries no transport checksum.
    @inline(__always)
    func rewrite(_ l3: UnsafeMutableRawPointer, address: UInt32, rewritesSource: Bool) {
        let offset = rewritesSource ? 12 : 16
        let old = l3.loadNetworkUInt32(at: offset)
        l3.storeNetworkUInt32(address, at: offset)
        let ip = IPv4Header(l3)
        ip.checksum = InternetChecksum.updated(ip.checksum, old: old, new: address)
    }
}
