import NFVPacket
import NFVPipeline

/// The load balancer's part in the chain's fast path. A lease watches a connection's serial
/// (a new one at admission and when a FIN or RST shortens its timeout; 0 once released) and
/// pushes its expiry out by its timeout; traffic to no service passes on the configuration
/// alone. A table swap (a backend's state or weight, a service change) changes the generation
/// and empties the chain's cache, as it makes the stage revalidate connections.
extension LoadBalancerStage {
    static let serialOffset = MemoryLayout<Connection>.offset(of: \.serial)!
    static let expiresOffset = MemoryLayout<Connection>.offset(of: \.expires)!

    /// Notes a packet forwarded by `connection` (out of line: the inline path stays small).
    @inline(never)
    func note(_ link: FastPathLink, _ packet: PacketMetadata, _ connection: UnsafeMutablePointer<Connection>) {
        let timeout =
            connection.pointee.ipProtocol == IPProtocol.udp
            ? udpTimeout : connection.pointee.closing ? tcpClosingTimeout : tcpTimeout
        let base = UnsafeMutableRawPointer(connection)
        link.note(
            packet,
            link.lease(
                identity: (base + Self.serialOffset).assumingMemoryBound(to: UInt32.self),
                expected: connection.pointee.serial,
                deadline: (base + Self.expiresOffset).assumingMemoryBound(to: UInt64.self), refresh: timeout))
    }

    /// Gives a connection a new serial.
    func renumber(_ connection: UnsafeMutablePointer<Connection>) {
        admittedCount &+= 1
        if admittedCount == 0 { admittedCount = 1 }  // 0 marks a released slot
        connection.pointee.serial = admittedCount
    }

    public func beginFastPathBatch() -> UInt64 {
        if updatesPending.load(ordering: .acquiring) { pickUpUpdates() }
        return UInt64(generation)
    }

    /// A quarter of `process`'s sweep: batches that took the fast path come far more often.
    public func sweepFastPath(now: UInt64, emit: PacketBatch) {
        sweep(now: now, slotBudget: 16)
    }
}
