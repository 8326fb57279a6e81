import NFVPacket

/// The key of a flow in the chain's `FlowCache`: every header field a cached decision may
/// depend on, exactly as the packet carries it.
///
/// In-port and VLAN, the whole Ethernet addresses, the first IP header word without the
/// length (IPv4: version, header length, TOS and the protocol; IPv6: traffic class and flow
/// label, with whether it is UDP), both addresses and both ports. Fields that change from
/// packet to packet of a flow (length, identification, TTL, checksums, TCP sequence and
/// flags) are not part of it: the fast path checks what matters of them per packet.
@frozen
public struct FlowCacheKey: Sendable, Equatable {
    /// inPort << 48 | vlanID << 32 | the IP word described above.
    public var meta: UInt64
    /// Frame bytes 0..<8 (destination MAC, first two bytes of the source MAC), as loaded.
    public var ethernetHead: UInt64
    /// Frame bytes 8..<12 (rest of the source MAC) | transport bytes 0..<4 (ports) << 32.
    public var ethernetTailPorts: UInt64
    /// IPv4: source and destination (header bytes 12..<20); IPv6: bytes 8..<40 in four words.
    public var address0: UInt64
    public var address1: UInt64
    public var address2: UInt64
    public var address3: UInt64

    /// The key of a parsed TCP or UDP packet whose headers start at `frame` (the caller checked
    /// the flags: IPv4 or IPv6, transport header present, not a fragment).
    @inlinable @inline(__always)
    public init(frame: UnsafeRawPointer, metadata: PacketMetadata, isIPv4: Bool) {
        let l3 = frame + Int(metadata.l3Offset)
        let l4 = frame + Int(metadata.l4Offset)
        let port = UInt64(metadata.inPort) << 48 | UInt64(metadata.vlanID) << 32
        ethernetHead = frame.loadUnaligned(as: UInt64.self)
        ethernetTailPorts =
            UInt64(frame.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            | UInt64(l4.loadUnaligned(as: UInt32.self)) << 32
        if isIPv4 {
            // Bytes 0-1 (version, header length, TOS) as loaded; the length bytes make way for
            // the protocol.
            meta = port | UInt64(l3.loadUnaligned(as: UInt16.self)) << 16 | UInt64(metadata.ipProtocol)
            address0 = l3.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
            address1 = 0
            address2 = 0
            address3 = 0
        } else {
            // The version nibble (always 6) makes way for the protocol: 1 for UDP, 0 for TCP.
            let word = UInt32(bigEndian: l3.loadUnaligned(as: UInt32.self)) & 0x0FFF_FFFF
            meta = port | UInt64(word | (metadata.ipProtocol == IPProtocol.udp ? 0x1000_0000 : 0))
            address0 = l3.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            address1 = l3.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            address2 = l3.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            address3 = l3.loadUnaligned(fromByteOffset: 32, as: UInt64.self)
        }
    }

    /// The key's table hash: all seven words through the keyed hash (an IPv4 key's three
    /// zero words cost nothing extra).
    @inlinable @inline(__always)
    public func hash(_ hasher: TableHash) -> UInt32 {
        let tail = address1 | address2 | address3 == 0 ? 0 : hasher.hash(address1, address2, address3)
        return UInt32(
            truncatingIfNeeded: hasher.hash(
                meta, ethernetHead, precomputedPair: hasher.secondPair(ethernetTailPorts, address0), tail))
    }
}
