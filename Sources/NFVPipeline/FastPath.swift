import NFVPacket

/// A chain's fast path for established flows (see `FastPathStage`): before the stages run, the
/// packets whose flow is in the `FlowCache` and whose stages all vouch for the cached decision
/// take the recorded rewrite and leave the batch; after the stages, flows every stage noted a
/// handle for are learned.
///
/// Only plain TCP and UDP packets take it: IPv4 without options or IPv6 without extension
/// headers, not a fragment, no offload marks (GSO super-frames and partial checksums take the
/// stages' path), no SYN, FIN or RST, TTL above what the stages take off, a valid IPv4 header
/// checksum. When a packet of a cached flow cannot take it, the flow's other packets in the
/// batch follow it through the stages (nothing in a flow is reordered) and the entry goes.
///
/// Packets of different flows may leave in a different order than they came (fast ones after
/// the stages' ones); each flow keeps its order.
public final class FastPath {
    public let cache: FlowCache
    public let notes: FastPathNotes
    public let counters = FastPathCounters()
    /// The fast-path stages, in chain order, and their indices in the chain.
    let stages: [any FastPathStage]
    let stageIndices: [Int]
    /// The packets of the current batch that take the stages' path, in order (the fast ones
    /// stay at the front of the batch).
    let slowBatch: PacketBatch
    /// Bits of every stage slot plus the learnable bit: a packet with this mask is learned.
    let learnMask: UInt32
    /// The sum of the stages' generations when the cache was last valid.
    var generation: UInt64 = .max
    /// Flows to remove after the batch (their entries were demoted).
    let demoted: UnsafeMutablePointer<(key: FlowCacheKey, hash: UInt32)>
    var demotedCount = 0
    /// The deadlines a packet's leases found, while they are applied (one per stage).
    let savedDeadlines: UnsafeMutablePointer<UInt64>

    init(stages: [any FastPathStage], stageIndices: [Int], pool: PacketPool, batchCapacity: Int, capacity: Int) {
        self.stages = stages
        self.stageIndices = stageIndices
        cache = FlowCache(capacity: capacity, stageCount: stages.count)
        notes = FastPathNotes(stageCount: stages.count, slotCount: pool.slotCount)
        slowBatch = PacketBatch(pool: pool, capacity: batchCapacity)
        learnMask = FastPathNotes.learnableBit | (UInt32(1) << UInt32(stages.count) &- 1)
        demoted = .allocate(capacity: batchCapacity)
        savedDeadlines = .allocate(capacity: stages.count)
        for (slot, stage) in stages.enumerated() { stage.fastPathLink = FastPathLink(notes: notes, slot: slot) }
    }

    deinit {
        demoted.deallocate()
        savedDeadlines.deallocate()
        for stage in stages where stage.fastPathLink?.notes === notes { stage.fastPathLink = nil }
    }

    // MARK: Before the stages

    /// Forwards the packets of cached flows, which stay at the front of `batch`, and moves the
    /// others, in order, to `slowBatch` for the stages. With `parseCounters`, parses each packet
    /// first as the chain's parse stage would (dropping what it drops, counting under it).
    /// Returns how many took the fast path.
    func divert(_ batch: PacketBatch, parseCounters: StageCounters?) -> Int {
        var current: UInt64 = 0
        for stage in stages { current &+= stage.beginFastPathBatch() }
        if current != generation {
            if cache.count > 0 {
                cache.removeAll()
                counters.flushes &+= 1
            }
            generation = current
        }
        demotedCount = 0
        slowBatch.count = 0
        if let parseCounters {
            let received = batch.count
            forwardCachedFlows(batch, parseDrops: parseCounters.drops)
            parseCounters.received &+= UInt64(received)
            parseCounters.transmitted &+= UInt64(batch.count &+ slowBatch.count)
        } else {
            forwardCachedFlows(batch, parseDrops: nil)
        }
        counters.hits &+= UInt64(batch.count)
        return batch.count
    }

    /// For every packet of `batch` (parsed first, with `parseDrops`): when its flow is cached
    /// and every lease holds, applies the leases and the rewrite and keeps it in `batch`;
    /// otherwise moves it to `slowBatch` (and copies its headers when its flow may be learned).
    func forwardCachedFlows(_ batch: PacketBatch, parseDrops: DropCounters?) {
        let metadata = batch.metadata
        let pool = batch.pool
        let entries = cache.entries
        let leases = cache.leases
        let stageCount = cache.stageCount
        let hasher = cache.hasher
        let shape = PacketFlags.parsed.rawValue | PacketFlags.hasL4.rawValue | PacketFlags.fragment.rawValue
        let wanted = PacketFlags.parsed.rawValue | PacketFlags.hasL4.rawValue
        let family = PacketFlags.ipv4.rawValue | PacketFlags.ipv6.rawValue
        let tcpNeedsStages = TCPFlags.syn.rawValue | TCPFlags.fin.rawValue | TCPFlags.rst.rawValue
        let slow = slowBatch.metadata
        var slowCount = 0
        var kept = 0
        let parsing = parseDrops != nil
        for position in 0..<batch.count {
            let packet = metadata + position
            let frame = pool.slot(packet.pointee.id) + Int(packet.pointee.dataOffset)
            if parsing {
                let reason = ParseStage.parse(frame, metadata: &packet.pointee)
                if reason != .none {
                    parseDrops?.increment(reason)
                    pool.release(packet.pointee.id)
                    continue
                }
            }
            if forwardIfCached(
                packet, frame: frame, entries: entries, leases: leases, stageCount: stageCount, hasher: hasher,
                shape: shape, wanted: wanted, family: family, tcpNeedsStages: tcpNeedsStages)
            {
                if kept != position { metadata[kept] = packet.pointee }
                kept &+= 1
            } else {
                slow[slowCount] = packet.pointee
                slowCount &+= 1
            }
        }
        slowBatch.count = slowCount
        batch.count = kept
    }

    /// One packet of `forwardCachedFlows`; true when it took the fast path.
    @inline(__always)
    func forwardIfCached(
        _ packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        entries: UnsafeMutablePointer<FlowCacheEntry>,
        leases: UnsafeMutablePointer<FastPathLease>, stageCount: Int, hasher: TableHash,
        shape: UInt8, wanted: UInt8, family: UInt8, tcpNeedsStages: UInt8
    ) -> Bool {
        // Every way out but a hit leaves the packet's notes as the stages must find them:
        // empty, or holding its headers for learning.
        let flags = packet.pointee.flags.rawValue
        let ipProtocol = packet.pointee.ipProtocol
        guard flags & shape == wanted, flags & family != 0,
            ipProtocol == IPProtocol.tcp || ipProtocol == IPProtocol.udp,
            packet.pointee.transportProblem == .none,
            packet.pointee.offload.segmentation == .none, packet.pointee.offload.flags.isEmpty
        else {
            notes.clear(id: packet.pointee.id)
            return false
        }
        let l3 = frame + Int(packet.pointee.l3Offset)
        let isIPv4 = flags & PacketFlags.ipv4.rawValue != 0
        // No IPv4 options, no IPv6 extension headers: the transport header follows.
        guard
            isIPv4
                ? l3.loadByte(at: 0) == 0x45 : packet.pointee.l4Offset == packet.pointee.l3Offset &+ 40
        else {
            notes.clear(id: packet.pointee.id)
            return false
        }
        let l4 = frame + Int(packet.pointee.l4Offset)
        let tcpFlags = ipProtocol == IPProtocol.tcp ? l4.loadByte(at: 13) : 0
        let key = FlowCacheKey(frame: frame, metadata: packet.pointee, isIPv4: isIPv4)
        let hash = key.hash(hasher)
        let slot = cache.find(key, hash: hash)
        guard slot >= 0 else {
            counters.misses &+= 1
            if tcpFlags & tcpNeedsStages == 0 && Int(packet.pointee.l4Offset) &+ 20 <= FastPathNotes.snapshotByteCount {
                notes.remember(packet.pointee, frame: frame, key: key, hash: hash)
            } else {
                notes.clear(id: packet.pointee.id)
            }
            return false
        }
        let entry = entries + slot
        let now = packet.pointee.timestamp
        let ipLength = isIPv4 ? l3.loadNetworkUInt16(at: 2) : l3.loadNetworkUInt16(at: 4) &+ 40
        let ttl = isIPv4 ? l3.loadByte(at: 8) : l3.loadByte(at: 7)
        // A packet the stages must see takes its flow's later packets in this batch with it.
        guard !entry.pointee.isDemoted, tcpFlags & tcpNeedsStages == 0, ttl > entry.pointee.ttlDecrement,
            ipLength <= entry.pointee.mtu,
            !isIPv4 || IPv4Header(l3).isChecksumValid
        else {
            notes.clear(id: packet.pointee.id)
            demote(entry)
            return false
        }
        // Each lease is checked and applied in one pass; when a later one fails, the earlier
        // ones are undone (their deadlines and counts restored) and the stages see the packet.
        let flowLeases = leases + slot &* stageCount
        let frameLength = UInt64(packet.pointee.length)
        let saved = savedDeadlines
        var stage = 0
        while stage < stageCount {
            let lease = flowLeases + stage
            let deadline = lease.pointee.deadline
            let expiry = deadline.pointee
            guard lease.pointee.identity.pointee == lease.pointee.expected, expiry > now else {
                undo(flowLeases, count: stage, frameLength: frameLength)
                notes.clear(id: packet.pointee.id)
                demote(entry)
                return false
            }
            saved[stage] = expiry
            let timeout = lease.pointee.timeout
            if timeout != 0 { deadline.pointee = now &+ timeout }
            if let counters = lease.pointee.counters {
                counters[0] &+= 1
                counters[1] &+= frameLength
            }
            stage &+= 1
        }
        rewrite(frame: frame, l3: l3, l4: l4, entry: entry)
        packet.pointee.outPort = entry.pointee.outPort
        entry.pointee.lastHit = now
        return true
    }

    /// Restores what the first `count` leases of a packet did: their deadlines (from
    /// `savedDeadlines`) and counts.
    @inline(never)
    func undo(_ leases: UnsafeMutablePointer<FastPathLease>, count: Int, frameLength: UInt64) {
        for stage in 0..<count {
            leases[stage].deadline.pointee = savedDeadlines[stage]
            if let counters = leases[stage].counters {
                counters[0] &-= 1
                counters[1] &-= frameLength
            }
        }
    }

    /// Takes the flow of `entry` through the stages for the rest of the batch and removes it
    /// afterwards.
    func demote(_ entry: UnsafeMutablePointer<FlowCacheEntry>) {
        guard !entry.pointee.isDemoted else { return }
        entry.pointee.flags |= FlowCacheEntry.demotedFlag
        demoted[demotedCount] = (entry.pointee.key, entry.pointee.hash)
        demotedCount &+= 1
        counters.invalidated &+= 1
    }

    /// Rewrites a packet's headers as its flow's packets left the stages.
    @inline(__always)
    func rewrite(
        frame: UnsafeMutableRawPointer, l3: UnsafeMutableRawPointer, l4: UnsafeMutableRawPointer,
        entry: UnsafeMutablePointer<FlowCacheEntry>
    ) {
        frame.storeBytes(of: entry.pointee.ethernetHead, as: UInt64.self)
        frame.storeBytes(of: entry.pointee.ethernetTail, toByteOffset: 8, as: UInt32.self)
        if entry.pointee.isIPv6 {
            l3.storeByte(l3.loadByte(at: 7) &- entry.pointee.ttlDecrement, at: 7)
            l3.storeBytes(of: entry.pointee.address0, toByteOffset: 8, as: UInt64.self)
            l3.storeBytes(of: entry.pointee.address1, toByteOffset: 16, as: UInt64.self)
            l3.storeBytes(of: entry.pointee.address2, toByteOffset: 24, as: UInt64.self)
            l3.storeBytes(of: entry.pointee.address3, toByteOffset: 32, as: UInt64.self)
        } else {
            l3.storeByte(l3.loadByte(at: 8) &- entry.pointee.ttlDecrement, at: 8)
            let checksum = l3.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
            l3.storeBytes(
                of: Self.adjusted(checksum, by: entry.pointee.ipv4ChecksumAdjustment), toByteOffset: 10, as: UInt16.self)
            l3.storeBytes(of: entry.pointee.address0, toByteOffset: 12, as: UInt64.self)
        }
        l4.storeBytes(of: entry.pointee.ports, as: UInt32.self)
        let checksumOffset = Int(entry.pointee.transportChecksumOffset)
        let checksum = l4.loadUnaligned(fromByteOffset: checksumOffset, as: UInt16.self)
        let isUDP = checksumOffset == 6
        if !(isUDP && checksum == 0) {  // a UDP datagram without a checksum stays without
            let updated = Self.adjusted(checksum, by: entry.pointee.transportChecksumAdjustment)
            l4.storeBytes(of: isUDP && updated == 0 ? 0xFFFF : updated, toByteOffset: checksumOffset, as: UInt16.self)
        }
    }

    /// RFC 1624 equation 3: `HC' = ~(~HC + adjustment)`, in whatever byte order both are in.
    @inline(__always)
    static func adjusted(_ checksum: UInt16, by adjustment: UInt16) -> UInt16 {
        let sum = UInt32(~checksum) &+ UInt32(adjustment)
        return ~UInt16(truncatingIfNeeded: (sum & 0xFFFF) &+ (sum >> 16))
    }

    // MARK: After the stages

    /// Removes the demoted flows, learns the flows of the packets every stage vouched for, and
    /// puts what the stages forwarded behind the fast packets in `batch` (a flow's fast
    /// packets came before any of its packets that took the stages).
    func rejoin(_ batch: PacketBatch) {
        for index in 0..<demotedCount { cache.remove(demoted[index].key, hash: demoted[index].hash) }
        let slowCount = slowBatch.count
        if slowCount > 0 {
            let slow = slowBatch.metadata
            let pool = slowBatch.pool
            for position in 0..<slowCount {
                let packet = slow + position
                guard notes.masks[Int(packet.pointee.id)] == learnMask else { continue }
                learn(packet.pointee, frame: pool.slot(packet.pointee.id) + Int(packet.pointee.dataOffset))
            }
            (batch.metadata + batch.count).update(from: slow, count: slowCount)
            batch.count &+= slowCount
            slowBatch.count = 0
        }
        if batch.count > 0 { cache.sweep(now: batch.metadata[batch.count &- 1].timestamp) }
    }
}
