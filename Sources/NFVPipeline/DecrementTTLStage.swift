import NFVPacket

/// Decrements the IPv4 TTL (patching the header checksum incrementally, RFC 1624) or the IPv6
/// hop limit, as a router hop does. Non-IP frames pass unchanged.
///
/// Drops: `bad_ipv4_checksum` when the IPv4 header checksum is wrong (RFC 1812 section 5.2.2:
/// patching it incrementally would make a corrupt header look valid), `ttl_expired` /
/// `hop_limit_expired` when the value on arrival is 0 or 1 (the packet must not be forwarded
/// with TTL 0; RFC 1812 section 5.3.1), `not_parsed` when the packet did not go through the
/// parse stage.
public final class DecrementTTLStage: FastPathStage {
    public let name: String
    public var kind: String { "decrement-ttl" }

    /// A TTL-decrement stage called `name`.
    public init(name: String = "ttl") { self.name = name }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        // Two copies of the loop: without a fast path, not even a test per packet for noting.
        if let link = fastPathLink {
            decrement(batch, noting: link)
        } else {
            decrement(batch, noting: FastPathOff())
        }
    }

    @inline(__always)
    func decrement<Noting: FastPathNoting>(_ batch: PacketBatch, noting: Noting) {
        let metadata = batch.metadata
        let pool = batch.pool
        for index in 0..<batch.count {
            let flags = metadata[index].flags
            let frame = pool.slot(metadata[index].id) + Int(metadata[index].dataOffset)
            let l3 = frame + Int(metadata[index].l3Offset)
            if flags.contains(.ipv4) {
                let header = IPv4Header(l3)
                if !metadata[index].hasValidIPv4HeaderChecksum(frame) {
                    batch.drop(index, reason: .badIPv4Checksum)
                } else if header.ttl <= 1 {
                    batch.drop(index, reason: .ttlExpired)
                } else {
                    header.decrementTTL()
                    if Noting.isNoting { noting.link.note(metadata[index], noting.link.pass) }
                }
            } else if flags.contains(.ipv6) {
                let header = IPv6Header(l3)
                let hopLimit = header.hopLimit
                if hopLimit <= 1 {
                    batch.drop(index, reason: .hopLimitExpired)
                } else {
                    header.hopLimit = hopLimit &- 1
                    if Noting.isNoting { noting.link.note(metadata[index], noting.link.pass) }
                }
            } else if !flags.contains(.parsed) {
                batch.drop(index, reason: .notParsed)
            }
        }
    }

    /// Every decision hangs on the TTL alone, which the fast path checks per packet.
    public var fastPathLink: FastPathLink?
    public var savesLookups: Bool { false }
    public func beginFastPathBatch() -> UInt64 { 0 }
    public func sweepFastPath(now: UInt64, emit: PacketBatch) {}
}
