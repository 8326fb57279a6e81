import NFVPacket
import NFVPipeline

/// Neighbour resolution (ARP, IPv6 neighbour discovery, RFC 4861): packets wait for a next
/// hop's MAC, solicitations go out and are retried, answers are learnt, stale entries age out.
extension RouterStage {
    /// Queues a packet for an unresolved next hop and starts soliciting it.
    @inline(never)
    func hold(_ index: Int, packet: PacketMetadata, egress: Int, nextHop: IPv6Address, batch: PacketBatch, emit: PacketBatch) {
        let now = packet.timestamp
        let slot = neighbors.findOrCreate(nextHop, interface: egress, now: now)
        guard slot >= 0, neighbors.enqueue(slot, packet) else {
            batch.drop(index, reason: .neighborUnresolved)
            return
        }
        batch.hold(index)
        // The first packet starts resolution; retries are the sweeper's, once a second.
        if neighbors[slot].solicitations == 0 { solicit(slot, now: now, emit: emit) }
    }

    /// Sends an ARP request or a neighbour solicitation for the neighbour in `slot`.
    func solicit(_ slot: Int, now: UInt64, emit: PacketBatch) {
        var entry = neighbors[slot]
        let egress = Int(entry.interface)
        let mac = MACAddress(rawValue: interfaceMAC[egress])
        let target = entry.address
        let built = generate(emit: emit, outPort: interfacePort[egress], timestamp: now) { output in
            if let v4 = target.ipv4Mapped {
                let source =
                    self.interfaces[egress].addresses.first { $0.isIPv4 && $0.subnet.contains(target) }
                    ?? self.interfaces[egress].addresses.first { $0.isIPv4 }
                guard let sender = source?.ipv4 else { return nil }
                return NeighborMessages.arpRequest(target: v4, senderMAC: mac, senderIP: sender, output: output)
            }
            let source =
                self.interfaces[egress].addresses.first { !$0.isIPv4 && $0.subnet.contains(target) }?.address
                ?? self.interfaces[egress].linkLocal
            let group = NeighborMessages.solicitedNode(target)
            let groupMAC = MACAddress(rawValue: 0x3333_0000_0000 | (group.low & 0xFFFF_FFFF))
            return NeighborMessages.neighborMessage(
                type: 135, flags: 0, target: target, source: source, destination: group,
                sourceMAC: mac, destinationMAC: groupMAC, output: output)
        }
        if built { counters.count(2) }
        entry.lastSolicitation = now
        entry.solicitations &+= 1
        neighbors[slot] = entry
    }

    /// Records that `address` is at `mac` on `interface` and sends what was waiting for it.
    func learn(_ address: IPv6Address, mac: MACAddress, interface: Int, now: UInt64, create: Bool, emit: PacketBatch) {
        let slot = create ? neighbors.findOrCreate(address, interface: interface, now: now) : neighbors.find(address)
        guard slot >= 0 else { return }
        var entry = neighbors[slot]
        guard entry.reachableUntil != .max else { return }  // permanent entries are configuration
        neighborEpoch &+= 1
        entry.mac = mac.rawValue
        entry.wireMAC = mac.wireValue
        entry.reachableUntil = now &+ neighborTimeout
        entry.solicitations = 0
        entry.interface = UInt16(interface)
        neighbors[slot] = entry
        for var waiting in neighbors.dequeueAll(slot) {
            let frame = emit.pool.slot(waiting.id) + Int(waiting.dataOffset)
            mac.store(to: frame, at: 0)
            waiting.verdict = .resumed  // on through the stages after this one (a firewall behind it)
            waiting.timestamp = now  // it leaves now, when its next hop answered
            if emit.append(waiting) {
                counters.count(5)
            } else {
                emit.pool.release(waiting.id)
                counters.count(4)
            }
        }
    }

    /// Retries the solicitation of every neighbour with packets waiting, once a second, and
    /// gives up after three unanswered ones: the queued packets are dropped and the next packet
    /// for that neighbour starts over. Looks only at neighbours with packets waiting.
    func sweepNeighbors(now: UInt64, emit: PacketBatch) {
        var index = 0
        while index < neighbors.pendingCount {
            let slot = neighbors.pendingSlot(index)
            var entry = neighbors[slot]
            guard now &- entry.lastSolicitation >= 1_000_000_000 else {
                index += 1
                continue
            }
            if entry.solicitations >= 3 {
                for waiting in neighbors.dequeueAll(slot) {  // removes the slot from the pending list
                    emit.pool.release(waiting.id)
                    counters.count(4)
                }
                entry = neighbors[slot]
                entry.solicitations = 0
                neighbors[slot] = entry
            } else {
                solicit(slot, now: now, emit: emit)
                index += 1
            }
        }
    }

    func handleARP(
        _ index: Int, packet: PacketMetadata, frame: UnsafeMutableRawPointer, interface: Int,
        batch: PacketBatch, emit: PacketBatch
    ) {
        batch.drop(index, reason: .consumed)
        let arp = ARPHeader(frame + Int(packet.l3Offset))
        guard arp.isEthernetIPv4 else { return }
        let sender = IPv6Address(ipv4Mapped: arp.senderIP)
        let target = arp.targetIP
        let isForUs = interfaces[interface].addresses.contains { $0.ipv4 == target }
        let onLink = interfaces[interface].addresses.contains { $0.isIPv4 && $0.subnet.contains(sender) }
        if onLink && arp.senderIP != .any {
            // RFC 826: update an existing entry from any ARP; create one when addressed to us.
            learn(sender, mac: arp.senderMAC, interface: interface, now: packet.timestamp, create: isForUs, emit: emit)
        }
        guard isForUs, arp.operation == ARPHeader.request else { return }
        let mac = MACAddress(rawValue: interfaceMAC[interface])
        let requester = arp.senderMAC
        let requesterIP = arp.senderIP
        if generate(
            emit: emit, outPort: packet.inPort, timestamp: packet.timestamp,
            build: { output in
                NeighborMessages.arp(
                    operation: ARPHeader.reply, destinationMAC: requester, senderMAC: mac, senderIP: target,
                    targetMAC: requester, targetIP: requesterIP, output: output)
            })
        {
            counters.count(3)
        }
    }

    func handleNeighborDiscovery(
        _ index: Int, type: UInt8, packet: PacketMetadata, frame: UnsafeMutableRawPointer,
        interface: Int, batch: PacketBatch, emit: PacketBatch
    ) {
        batch.drop(index, reason: .consumed)
        let l3 = frame + Int(packet.l3Offset)
        let l4 = frame + Int(packet.l4Offset)
        let ip = IPv6Header(l3)
        let length = Int(packet.l3Offset) + 40 + Int(ip.payloadLength) - Int(packet.l4Offset)
        // RFC 4861 7.1: hop limit 255, code 0, at least 24 bytes for NS/NA.
        guard ip.hopLimit == 255, frame.loadByte(at: Int(packet.l4Offset) + 1) == 0,
            type == 135 || type == 136, length >= 24
        else { return }
        let target = IPv6Address(loadingFrom: l4, at: 8)
        // The link-layer address option (source for NS, target for NA).
        var linkLayer: MACAddress?
        var offset = 24
        while offset + 8 <= length {
            let optionType = l4.loadByte(at: offset)
            let optionLength = Int(l4.loadByte(at: offset + 1)) * 8
            guard optionLength > 0, offset + optionLength <= length else { break }
            if optionType == (type == 135 ? 1 : 2), optionLength >= 8 { linkLayer = MACAddress(loadingFrom: l4, at: offset + 2) }
            offset += optionLength
        }
        let now = packet.timestamp
        let ours =
            interfaces[interface].addresses.contains { !$0.isIPv4 && $0.address == target }
            || interfaces[interface].linkLocal == target
        if type == 136 {
            if let linkLayer { learn(target, mac: linkLayer, interface: interface, now: now, create: false, emit: emit) }
            return
        }
        guard ours else { return }
        let source = ip.source
        if let linkLayer, source != .unspecified {
            learn(source, mac: linkLayer, interface: interface, now: now, create: true, emit: emit)
        }
        // Answer: solicited (unless the NS came from :: during DAD), router, override.
        let mac = MACAddress(rawValue: interfaceMAC[interface])
        let unspecifiedSource = source == .unspecified
        let destination = unspecifiedSource ? IPv6Address(high: 0xFF02_0000_0000_0000, low: 1) : source
        let destinationMAC = unspecifiedSource ? MACAddress(rawValue: 0x3333_0000_0001) : MACAddress(loadingFrom: frame, at: 6)
        let flags: UInt32 = unspecifiedSource ? 0xA000_0000 : 0xE000_0000
        if generate(
            emit: emit, outPort: packet.inPort, timestamp: now,
            build: { output in
                NeighborMessages.neighborMessage(
                    type: 136, flags: flags, target: target, source: target, destination: destination,
                    sourceMAC: mac, destinationMAC: destinationMAC, output: output)
            })
        {
            counters.count(3)
        }
    }
}
