import NFVPacket
import NFVPipeline

/// Mapping allocation and lifetime: ports reserved for forwards, a free port found in constant
/// time (`NATPortAllocator`), filtering by remote (RFC 4787 REQ-8), timeouts refreshed by
/// traffic and by TCP state, expired mappings swept a few per batch.
extension NATStage {
    /// Keeps the forwards' external ports on pool addresses out of port allocation.
    func reservePorts() {
        ports.reserve { poolIndex, protocolIndex in
            let address = self.pool[poolIndex]
            let onAddress = self.forwards.filter { $0.externalAddress.rawValue == address }
            if onAddress.contains(where: { $0.ipProtocol == nil }) { return nil }
            if onAddress.contains(where: { $0.ipProtocol.map(Self.protocolIndex) == protocolIndex && $0.externalPort == nil }) {
                return nil  // a protocol forward takes every port (or identifier) of its protocol
            }
            return onAddress.compactMap { forward in
                guard let ipProtocol = forward.ipProtocol, Self.protocolIndex(ipProtocol) == protocolIndex else { return nil }
                return forward.externalPort
            }
        }
    }

    /// The live mapping of an inside endpoint, created when there is none; -1 when no port or
    /// slot is left.
    func mapping(for address: UInt32, port: UInt16, ipProtocol: UInt8, rule: Int, now: UInt64) -> Int {
        if let found = byInside.find(Self.key(ipProtocol, address, port), 0) {
            let slot = Int(found)
            if mappings[slot].expires > now { return slot }
            release(slot)
            counters.count(1)
        }
        guard !pool.isEmpty, let slot = freeSlots.popLast() else { return -1 }
        let poolIndex = poolIndex(of: address)
        let range = rules[rule].ports
        guard
            let outsidePort = ports.allocate(
                pool: poolIndex, protocolIndex: Self.protocolIndex(ipProtocol), preferred: port,
                range: range)
        else {
            freeSlots.append(slot)
            return -1
        }
        let index = Int(slot)
        install(at: index, inside: address, insidePort: port, poolIndex: poolIndex, outsidePort: outsidePort, ipProtocol: ipProtocol, now: now)
        return index
    }

    /// Fills mapping slot `index` (taken from the free slots, its outside port allocated) and
    /// indexes it both ways.
    func install(at index: Int, inside address: UInt32, insidePort port: UInt16, poolIndex: Int, outsidePort: UInt16, ipProtocol: UInt8, now: UInt64)
    {
        // ~old + new, summed once: adding it to ~checksum is the whole RFC 1624 update.
        let outsideAddress = pool[poolIndex]
        let (ipAdjustment, transportAdjustment) = InternetChecksum.adjustments(
            oldAddress: address, newAddress: outsideAddress,
            oldPort: port, newPort: outsidePort)
        mappings[index] = Mapping(
            insideAddress: address, outsideAddress: outsideAddress, expires: now,
            remotes: (0, 0, 0, 0), insidePort: port, outsidePort: outsidePort,
            outsideAddressWire: outsideAddress.bigEndian, outsidePortWire: outsidePort.bigEndian,
            ipAdjustmentWire: ipAdjustment.bigEndian, transportAdjustmentWire: transportAdjustment.bigEndian,
            ipProtocol: ipProtocol,
            poolIndex: UInt8(poolIndex), remoteCount: 0, seenInbound: false, established: false, used: true)
        renumber(mappings + index)
        byInside.insert(Self.key(ipProtocol, address, port), 0, value: Int32(index))
        byOutside.insert(Self.key(ipProtocol, outsideAddress, outsidePort), 0, value: Int32(index))
        counters.count(0)
    }

    /// RFC 5508 REQ-8: an ICMP destination unreachable, code 13 (communication administratively
    /// prohibited), back to the inside sender of a packet no mapping could be made for. It comes
    /// from an address of the NAT's own (RFC 1812 4.3.2.4): the chain router's inside interface
    /// when there is one, else the public address the sender maps to; errors about errors and
    /// about later fragments are never sent.
    func tellSenderProhibited(_ packet: PacketMetadata, frame: UnsafeMutableRawPointer, poolIndex: Int, emit: PacketBatch) {
        guard let source = insideErrorSource ?? (pool.isEmpty ? nil : IPv6Address(ipv4Mapped: IPv4Address(rawValue: pool[poolIndex])))
        else { return }
        _ = emit.appendGenerated(outPort: packet.inPort, timestamp: packet.timestamp) { output in
            ReplyBuilder.icmpError(type: 3, code: 13, source: source, original: frame, metadata: packet, output: output)
        }
    }

    /// The pool address an inside host always maps to (paired pooling, RFC 4787 REQ-2).
    func poolIndex(of address: UInt32) -> Int {
        pool.isEmpty ? 0 : Int(((UInt64(address) &* 0x9E37_79B9_7F4A_7C15) >> 32) % UInt64(pool.count))
    }

    func release(_ slot: Int) {
        let entry = mappings[slot]
        guard entry.used else { return }
        byInside.remove(Self.key(entry.ipProtocol, entry.insideAddress, entry.insidePort), 0)
        byOutside.remove(Self.key(entry.ipProtocol, entry.outsideAddress, entry.outsidePort), 0)
        ports.release(pool: Int(entry.poolIndex), protocolIndex: Self.protocolIndex(entry.ipProtocol), port: entry.outsidePort)
        mappings[slot].used = false
        mappings[slot].serial = 0
        freeSlots.append(Int32(slot))
    }

    @inline(__always)
    func remember(remote: UInt32, in entry: UnsafeMutablePointer<Mapping>) {
        let remotes = entry.pointee.remotes
        if remotes.0 == remote || remotes.1 == remote || remotes.2 == remote || remotes.3 == remote { return }
        entry.pointee.remotes = (remote, remotes.0, remotes.1, remotes.2)  // keep the 4 most recent
        entry.pointee.remoteCount = min(entry.pointee.remoteCount + 1, 4)
        if addressDependent { renumber(entry) }  // who may come in changed
    }

    func permits(remote: UInt32, _ entry: Mapping) -> Bool {
        configuration.filtering == .endpointIndependent || entry.remotes.0 == remote || entry.remotes.1 == remote
            || entry.remotes.2 == remote || entry.remotes.3 == remote
    }

    /// Extends a mapping's life: UDP and ICMP on outbound packets (REQ-6), TCP on both, with
    /// the established or transitory timeout (RFC 5382 REQ-5).
    @inline(__always)
    func refresh(
        _ entry: UnsafeMutablePointer<Mapping>, packet: PacketMetadata, frame: UnsafeMutableRawPointer,
        outbound: Bool, now: UInt64
    ) {
        let flags =
            entry.pointee.ipProtocol == IPProtocol.tcp ? TCPFlags(rawValue: frame.loadByte(at: Int(packet.l4Offset) + 13)) : []
        refresh(entry, tcpFlags: flags, outbound: outbound, now: now)
    }

    /// `refresh` for a packet whose TCP flags are `flags` (ignored for other protocols).
    @inline(__always)
    func refresh(_ entry: UnsafeMutablePointer<Mapping>, tcpFlags flags: TCPFlags, outbound: Bool, now: UInt64) {
        switch entry.pointee.ipProtocol {
        case IPProtocol.tcp:
            let wasSteady = entry.pointee.seenInbound && entry.pointee.established
            defer { if wasSteady != (entry.pointee.seenInbound && entry.pointee.established) { renumber(entry) } }
            if !outbound { entry.pointee.seenInbound = true }
            if flags.contains(.rst) || flags.contains(.fin) {
                entry.pointee.established = false
            } else if entry.pointee.seenInbound && outbound && flags.contains(.ack) && !flags.contains(.syn) {
                entry.pointee.established = true
            }
            entry.pointee.expires = now + (entry.pointee.established ? timeoutEstablished : timeoutTransitory)
        case IPProtocol.udp:
            if outbound { entry.pointee.expires = now + timeoutUDP }
        default:
            if outbound { entry.pointee.expires = now + timeoutICMP }
        }
    }

    /// Removes expired mappings among the next `slotBudget` slots (called once per batch).
    func sweep(now: UInt64, slotBudget: Int = 64) {
        let capacity = configuration.maximumMappings
        for _ in 0..<min(slotBudget, capacity) {
            if mappings[sweepCursor].used && mappings[sweepCursor].expires <= now {
                release(sweepCursor)
                counters.count(1)
            }
            sweepCursor = sweepCursor + 1 == capacity ? 0 : sweepCursor + 1
        }
    }
}
