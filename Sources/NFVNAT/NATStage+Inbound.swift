import NFVPacket
import NFVPipeline

/// Traffic toward the NAT's public side: forwards and mappings rewrite the destination back
/// to the inside endpoint, hairpinned traffic turns around, and ICMP errors about translated
/// packets have their quote translated too (RFC 5508).
extension NATStage {
    func translateInbound<Noting: FastPathNoting>(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        batch: PacketBatch, noting: Noting
    ) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let ip = IPv4Header(l3)
        let destination = ip.destination.rawValue
        let now = packet.pointee.timestamp
        guard isOwn(destination) else {
            if Noting.isNoting { noting.link.note(packet.pointee, noting.link.pass) }  // not to a public address of this NAT
            return
        }
        let flags = packet.pointee.flags
        guard flags.contains(.hasL4), let ends = endpoints(packet.pointee, frame: frame) else {
            batch.drop(index, reason: .natNoMapping)
            return
        }
        if ends.isICMPError {
            if !translateError(packet: packet.pointee, frame: frame, now: now) { batch.drop(index, reason: .natNoMapping) }
            return
        }
        guard
            translateDestination(
                packet: packet.pointee, frame: frame, ends: ends, source: ip.source.rawValue, now: now, noting: noting)
        else {
            batch.drop(index, reason: .natNoMapping)
            return
        }
    }

    /// Rewrites the destination of a packet to a public address to the inside endpoint it maps
    /// to (a forward or a mapping); false when there is none or filtering refuses it.
    func translateDestination<Noting: FastPathNoting>(
        packet: PacketMetadata, frame: UnsafeMutableRawPointer, ends: Endpoints, source: UInt32,
        now: UInt64, noting: Noting
    ) -> Bool {
        let l3 = frame + Int(packet.l3Offset)
        let destination = IPv4Header(l3).destination.rawValue
        if hasForwards, let forward = forwardFor(external: destination, port: ends.destinationPort, ipProtocol: ends.ipProtocol) {
            rewriteDestination(
                frame: frame, packet: packet, ends: ends, address: forward.internalAddress.rawValue,
                port: forward.internalPort ?? ends.destinationPort)
            if Noting.isNoting { noting.link.note(packet, noting.link.pass) }  // a static forward: configuration alone
            return true
        }
        guard let found = byOutside.find(Self.key(ends.ipProtocol, destination, ends.destinationPort), 0) else { return false }
        let slot = Int(found)
        let entry = mappings + slot
        guard entry.pointee.expires > now else {
            release(slot)
            counters.count(1)
            return false
        }
        guard permits(remote: source, entry.pointee) else { return false }
        refresh(entry, packet: packet, frame: frame, outbound: false, now: now)
        rewriteDestination(
            frame: frame, packet: packet, ends: ends, address: entry.pointee.insideAddress,
            port: entry.pointee.insidePort)
        if Noting.isNoting { note(noting.link, packet, entry, outbound: false) }
        return true
    }

    /// Sends a packet for a public address of this NAT back inside (hairpinning, REQ-9).
    func hairpinIfNeeded(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        batch: PacketBatch, now: UInt64
    ) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let ip = IPv4Header(l3)
        let destination = ip.destination.rawValue
        guard isOwn(destination) else { return }
        guard configuration.hairpin, let ends = endpoints(packet.pointee, frame: frame),
            translateDestination(
                packet: packet.pointee, frame: frame, ends: ends, source: ip.source.rawValue, now: now,
                noting: FastPathOff())
        else {
            batch.drop(index, reason: .natNoMapping)
            return
        }
        packet.pointee.outPort = insidePort
        counters.count(4)
    }

    // MARK: ICMP errors (RFC 5508)

    /// Translates an inbound ICMP error about a packet this NAT sent: the outer destination and
    /// the quoted packet's source go back to the inside endpoint, with every checksum fixed.
    func translateError(packet: PacketMetadata, frame: UnsafeMutableRawPointer, now: UInt64) -> Bool {
        guard let quote = ICMPQuote(frame: frame, metadata: packet), let quotedSource = quote.key.source.ipv4Mapped
        else { return false }
        let quotedProtocol = quote.key.ipProtocol
        let quotedPort = quote.key.sourcePort
        var insideAddress: UInt32
        var insidePort: UInt16
        if let forward = forwardFor(external: quotedSource.rawValue, port: quotedPort, ipProtocol: quotedProtocol) {
            insideAddress = forward.internalAddress.rawValue
            insidePort = forward.internalPort ?? quotedPort
        } else if let found = byOutside.find(Self.key(quotedProtocol, quotedSource.rawValue, quotedPort), 0),
            mappings[Int(found)].expires > now
        {
            insideAddress = mappings[Int(found)].insideAddress
            insidePort = mappings[Int(found)].insidePort
        } else {
            return false
        }
        let l3 = frame + Int(packet.l3Offset)
        let outer = IPv4Header(l3)
        let oldDestination = outer.destination.rawValue
        outer.destination = IPv4Address(rawValue: insideAddress)
        outer.checksum = InternetChecksum.updated(outer.checksum, old: oldDestination, new: insideAddress)
        // The quoted header: source address and header checksum.
        let inner = IPv4Header(frame + quote.l3Offset)
        inner.source = IPv4Address(rawValue: insideAddress)
        inner.checksum = InternetChecksum.updated(inner.checksum, old: quotedSource.rawValue, new: insideAddress)
        let transport = frame + quote.l4Offset
        switch quotedProtocol {
        case IPProtocol.tcp, IPProtocol.udp:
            transport.storeNetworkUInt16(insidePort, at: 0)
            let checksumOffset = quotedProtocol == IPProtocol.tcp ? 16 : 6
            if quote.l4ByteCount >= checksumOffset + 2 {
                let checksum = transport.loadNetworkUInt16(at: checksumOffset)
                if !(quotedProtocol == IPProtocol.udp && checksum == 0) {
                    var patched = InternetChecksum.updated(checksum, old: quotedSource.rawValue, new: insideAddress)
                    patched = InternetChecksum.updated(patched, old: quotedPort, new: insidePort)
                    transport.storeNetworkUInt16(patched, at: checksumOffset)
                }
            }
        case IPProtocol.icmp:
            transport.storeNetworkUInt16(insidePort, at: 4)
            let checksum = transport.loadNetworkUInt16(at: 2)
            transport.storeNetworkUInt16(InternetChecksum.updated(checksum, old: quotedPort, new: insidePort), at: 2)
        default:
            break
        }
        // The error's own checksum covers the quote: compute it again.
        let icmp = frame + Int(packet.l4Offset)
        let end = Int(packet.l3Offset) + Int(outer.totalLength)
        icmp.storeNetworkUInt16(0, at: 2)
        icmp.storeNetworkUInt16(InternetChecksum.checksum(UnsafeRawPointer(icmp), byteCount: end - Int(packet.l4Offset)), at: 2)
        counters.count(3)
        return true
    }
}
