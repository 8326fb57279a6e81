import NFVPacket

#if canImport(Glibc)
    import Glibc
#endif

/// Learning a flow: the difference between a packet's headers as they entered the stages and
/// as they left them is the rewrite its flow's later packets take.
extension FastPath {
    /// Caches the flow of `packet` (every stage noted a lease for it) with the rewrite the
    /// stages did to it. Nothing is cached when the stages changed anything the cached rewrite
    /// would not reproduce: the frame's layout, a header field other than MAC addresses,
    /// TTL, IP addresses, ports and the checksums, or checksums that do not follow from those
    /// changes.
    func learn(_ packet: PacketMetadata, frame: UnsafeMutableRawPointer) {
        let id = Int(packet.id)
        let before = notes.entryMetadata[id]
        guard before.length == packet.length, before.l3Offset == packet.l3Offset, before.l4Offset == packet.l4Offset,
            before.vlanID == packet.vlanID, before.etherType == packet.etherType, before.flags == packet.flags
        else { return }
        let old = notes.snapshot(id: packet.id)
        let new = UnsafeRawPointer(frame)
        let l3 = Int(packet.l3Offset)
        let l4 = Int(packet.l4Offset)
        let isIPv4 = packet.flags.contains(.ipv4)
        let isUDP = packet.ipProtocol == IPProtocol.udp
        // Ethernet type and VLAN tags as they were.
        guard memcmp(old + 12, new + 12, l3 - 12) == 0 else { return }
        var entry = FlowCacheEntry(key: notes.keys[id], hash: notes.hashes[id])
        entry.outPort = packet.outPort
        entry.ethernetHead = new.loadUnaligned(as: UInt64.self)
        entry.ethernetTail = new.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        entry.ports = new.loadUnaligned(fromByteOffset: l4, as: UInt32.self)
        entry.transportChecksumOffset = isUDP ? 6 : 16
        entry.flags = isIPv4 ? 0 : FlowCacheEntry.ipv6Flag
        var transportSum: UInt32 = 0
        if isIPv4 {
            // Version to fragment offset, and the protocol, as they were.
            guard memcmp(old + l3, new + l3, 8) == 0,
                old.load(fromByteOffset: l3 + 9, as: UInt8.self) == new.load(fromByteOffset: l3 + 9, as: UInt8.self)
            else { return }
            let ttlBefore = old.load(fromByteOffset: l3 + 8, as: UInt8.self)
            let ttlAfter = new.load(fromByteOffset: l3 + 8, as: UInt8.self)
            guard ttlAfter <= ttlBefore, ttlAfter > 0 else { return }
            entry.ttlDecrement = ttlBefore - ttlAfter
            var ipSum: UInt32 = 0
            Self.addDifferences(&ipSum, old + l3 + 8, new + l3 + 8, words: 1)
            Self.addDifferences(&ipSum, old + l3 + 12, new + l3 + 12, words: 4)
            entry.ipv4ChecksumAdjustment = Self.folded(ipSum)
            let checksumBefore = old.loadUnaligned(fromByteOffset: l3 + 10, as: UInt16.self)
            let checksumAfter = new.loadUnaligned(fromByteOffset: l3 + 10, as: UInt16.self)
            guard Self.adjusted(checksumBefore, by: entry.ipv4ChecksumAdjustment) == checksumAfter else { return }
            entry.address0 = new.loadUnaligned(fromByteOffset: l3 + 12, as: UInt64.self)
            Self.addDifferences(&transportSum, old + l3 + 12, new + l3 + 12, words: 4)
        } else {
            // Version, class, flow label, payload length and next header as they were.
            guard memcmp(old + l3, new + l3, 7) == 0 else { return }
            let hopsBefore = old.load(fromByteOffset: l3 + 7, as: UInt8.self)
            let hopsAfter = new.load(fromByteOffset: l3 + 7, as: UInt8.self)
            guard hopsAfter <= hopsBefore, hopsAfter > 0 else { return }
            entry.ttlDecrement = hopsBefore - hopsAfter
            entry.address0 = new.loadUnaligned(fromByteOffset: l3 + 8, as: UInt64.self)
            entry.address1 = new.loadUnaligned(fromByteOffset: l3 + 16, as: UInt64.self)
            entry.address2 = new.loadUnaligned(fromByteOffset: l3 + 24, as: UInt64.self)
            entry.address3 = new.loadUnaligned(fromByteOffset: l3 + 32, as: UInt64.self)
            Self.addDifferences(&transportSum, old + l3 + 8, new + l3 + 8, words: 16)
        }
        // The rest of the transport header as it was: UDP length; TCP sequence to window and
        // the urgent pointer.
        if isUDP {
            guard memcmp(old + l4 + 4, new + l4 + 4, 2) == 0 else { return }
        } else {
            guard memcmp(old + l4 + 4, new + l4 + 4, 12) == 0, memcmp(old + l4 + 18, new + l4 + 18, 2) == 0 else { return }
        }
        Self.addDifferences(&transportSum, old + l4, new + l4, words: 2)
        entry.transportChecksumAdjustment = Self.folded(transportSum)
        let offset = Int(entry.transportChecksumOffset)
        let checksumBefore = old.loadUnaligned(fromByteOffset: l4 + offset, as: UInt16.self)
        let checksumAfter = new.loadUnaligned(fromByteOffset: l4 + offset, as: UInt16.self)
        if isUDP && checksumBefore == 0 {
            guard checksumAfter == 0 else { return }
        } else {
            let expected = Self.adjusted(checksumBefore, by: entry.transportChecksumAdjustment)
            guard expected == checksumAfter || (isUDP && expected == 0 && checksumAfter == 0xFFFF) else { return }
        }
        entry.lastHit = packet.timestamp
        let leases = notes.leases + id &* notes.stageCount
        for stage in 0..<notes.stageCount where leases[stage].mtu != 0 {
            entry.mtu = min(entry.mtu, UInt16(clamping: leases[stage].mtu))
        }
        switch cache.insert(entry, leases: leases) {
        case .inserted: counters.learned &+= 1
        case .full: counters.full &+= 1
        case .present: break
        }
    }

    /// Adds `~old + new` for `words` 16-bit words (as loaded) to a ones'-complement sum.
    @inline(__always)
    static func addDifferences(_ sum: inout UInt32, _ old: UnsafeRawPointer, _ new: UnsafeRawPointer, words: Int) {
        for word in 0..<words {
            sum &+= UInt32(~old.loadUnaligned(fromByteOffset: 2 &* word, as: UInt16.self))
            sum &+= UInt32(new.loadUnaligned(fromByteOffset: 2 &* word, as: UInt16.self))
        }
    }

    /// A 32-bit ones'-complement sum folded to 16 bits.
    @inline(__always)
    static func folded(_ sum: UInt32) -> UInt16 {
        var value = sum
        while value > 0xFFFF { value = (value & 0xFFFF) &+ (value >> 16) }
        return UInt16(value)
    }
}

extension FlowCacheEntry {
    /// A used entry for `key` with no rewrite yet.
    init(key: FlowCacheKey, hash: UInt32) {
        self.key = key
        self.hash = hash
        isUsed = true
        ttlDecrement = 0
        outPort = 0
        lastHit = 0
        ethernetHead = 0
        ethernetTail = 0
        ports = 0
        address0 = 0
        address1 = 0
        address2 = 0
        address3 = 0
        ipv4ChecksumAdjustment = 0
        transportChecksumAdjustment = 0
        mtu = .max
        transportChecksumOffset = 0
        flags = 0
    }
}
