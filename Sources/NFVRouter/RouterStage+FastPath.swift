import NFVPacket
import NFVPipeline

/// The router's part in the chain's fast path: the IPv4 packets its inline path forwards. A
/// lease watches the neighbour epoch (any neighbour learnt or changed ends it), the next hop's
/// reachable time (a gateway's cached resolution or the on-link neighbour's entry) and the
/// egress MTU. A route update empties the chain's cache. Everything the inline path leaves
/// (IPv6, ICMP errors, packets for the router, unresolved neighbours) keeps taking `process`.
extension RouterStage {
    /// The lease of a packet forwarded to a next hop reachable until `deadline`.
    func lease(_ link: FastPathLink, until deadline: UnsafeMutablePointer<UInt64>, mtu: Int) -> FastPathLease {
        link.lease(
            identity: UnsafeMutableRawPointer(neighborEpochStorage).assumingMemoryBound(to: UInt32.self),
            expected: UInt32(truncatingIfNeeded: neighborEpochStorage.pointee), deadline: deadline, mtu: mtu)
    }

    static let resolvedUntilOffset = MemoryLayout<NextHop>.offset(of: \.resolvedUntil)!
    static let reachableUntilOffset = MemoryLayout<NeighborTable.Entry>.offset(of: \.reachableUntil)!

    /// Notes a packet sent through a gateway whose MAC `hop` caches (out of line: the inline
    /// path stays small).
    @inline(never)
    func noteGateway(_ link: FastPathLink, _ packet: PacketMetadata, hop: UnsafeMutablePointer<NextHop>, mtu: Int) {
        let deadline = (UnsafeMutableRawPointer(hop) + Self.resolvedUntilOffset).assumingMemoryBound(to: UInt64.self)
        link.note(packet, lease(link, until: deadline, mtu: mtu))
    }

    /// Notes a packet sent to an on-link neighbour.
    @inline(never)
    func noteNeighbor(
        _ link: FastPathLink, _ packet: PacketMetadata, neighbor: UnsafeMutablePointer<NeighborTable.Entry>, mtu: Int
    ) {
        let deadline = (UnsafeMutableRawPointer(neighbor) + Self.reachableUntilOffset).assumingMemoryBound(to: UInt64.self)
        link.note(packet, lease(link, until: deadline, mtu: mtu))
    }

    public func beginFastPathBatch() -> UInt64 {
        if let tables = updates.take() { adopt(tables) }
        return UInt64(updateCount)
    }

    public func sweepFastPath(now: UInt64, emit: PacketBatch) {
        sweepNeighbors(now: now, emit: emit)
    }
}
