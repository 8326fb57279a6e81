import NFVPacket
import NFVPipeline

/// The NAT's part in the chain's fast path. A lease watches a mapping's serial (a new one when
/// the mapping is made, when its TCP state changes between transitory and established, and,
/// with address-dependent filtering, when its set of remotes changes; 0 once released) and
/// pushes its expiry out as `refresh` would. Traffic the NAT leaves alone and static forwards
/// pass on the configuration alone; a configuration change (rules, forwards, pool) empties the
/// chain's cache. Hairpinned traffic, and TCP before the mapping is established both ways,
/// never take the fast path.
extension NATStage {
    /// The lease of a packet translated by `entry` in the given direction, or nil when its
    /// next packets may still change the mapping (TCP not yet established).
    func lease(_ link: FastPathLink, _ entry: UnsafeMutablePointer<Mapping>, outbound: Bool) -> FastPathLease? {
        let timeout: UInt64
        switch entry.pointee.ipProtocol {
        case IPProtocol.tcp:
            guard entry.pointee.seenInbound && entry.pointee.established else { return nil }
            timeout = timeoutEstablished
        case IPProtocol.udp:
            timeout = outbound ? timeoutUDP : 0  // inbound datagrams do not keep a mapping (REQ-6)
        default:
            return nil
        }
        let base = UnsafeMutableRawPointer(entry)
        return link.lease(
            identity: (base + Self.serialOffset).assumingMemoryBound(to: UInt32.self), expected: entry.pointee.serial,
            deadline: (base + Self.expiresOffset).assumingMemoryBound(to: UInt64.self), refresh: timeout)
    }

    static let serialOffset = MemoryLayout<Mapping>.offset(of: \.serial)!
    static let expiresOffset = MemoryLayout<Mapping>.offset(of: \.expires)!

    /// Notes a packet translated by `entry` when its mapping can be leased (out of line: the
    /// inline path stays small).
    @inline(never)
    func note(_ link: FastPathLink, _ packet: PacketMetadata, _ entry: UnsafeMutablePointer<Mapping>, outbound: Bool) {
        if let lease = lease(link, entry, outbound: outbound) { link.note(packet, lease) }
    }

    /// Gives a mapping a new serial.
    func renumber(_ entry: UnsafeMutablePointer<Mapping>) {
        mappedCount &+= 1
        if mappedCount == 0 { mappedCount = 1 }  // 0 marks a released slot
        entry.pointee.serial = mappedCount
    }

    public func beginFastPathBatch() -> UInt64 {
        if let new = updates.take() { adopt(new) }
        return adoptedCount
    }

    /// A quarter of `process`'s sweep: batches that took the fast path come far more often.
    public func sweepFastPath(now: UInt64, emit: PacketBatch) {
        sweep(now: now, slotBudget: 16)
        if fragments.isActive { fragments.sweep(now: now, pool: emit.pool) }
    }
}
