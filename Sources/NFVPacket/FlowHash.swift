/// Flow hashes: the symmetric hash that steers a flow's two directions to one worker
/// (`symmetric`), keyed by a `TableHash` (the process's, so every worker of a data plane agrees
/// and nobody outside it can aim flows at one worker), and a seedless mixer for the places that
/// must agree across processes and runs (Maglev's backend choice).
public enum FlowHash {
    /// Spreads the entropy of `hash` over all 64 bits.
    @inlinable @inline(__always)
    public static func finalize(_ hash: UInt64) -> UInt64 {
        var mixed = hash
        mixed = (mixed ^ (mixed >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        mixed = (mixed ^ (mixed >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return mixed ^ (mixed >> 33)
    }
}

extension FlowHash {
    /// The symmetric flow hash of a parsed frame: equal to `FlowKey(frame:metadata:)?
    /// .symmetricHash(with:)`, with a fast path for IPv4 that skips building the key. 0 for
    /// non-IP.
    @inlinable
    public static func symmetric(frame: UnsafeMutableRawPointer, metadata: PacketMetadata, hasher: TableHash) -> UInt32 {
        let flags = metadata.flags
        guard flags.contains(.ipv4) else {
            return FlowKey(frame: frame, metadata: metadata)?.symmetricHash(with: hasher) ?? 0
        }
        let l3 = Int(metadata.l3Offset)
        let source = frame.loadNetworkUInt32(at: l3 &+ 12)
        let destination = frame.loadNetworkUInt32(at: l3 &+ 16)
        var sourcePort: UInt16 = 0
        var destinationPort: UInt16 = 0
        let ipProtocol = metadata.ipProtocol
        if flags.contains(.hasL4) {
            let l4 = Int(metadata.l4Offset)
            if ipProtocol == IPProtocol.tcp || ipProtocol == IPProtocol.udp || ipProtocol == IPProtocol.sctp {
                sourcePort = frame.loadNetworkUInt16(at: l4)
                destinationPort = frame.loadNetworkUInt16(at: l4 &+ 2)
            } else if ipProtocol == IPProtocol.icmp, ICMPHeader.isQueryV4(type: frame.loadByte(at: l4)) {
                sourcePort = frame.loadNetworkUInt16(at: l4 &+ 4)
                destinationPort = sourcePort
            }
        }
        let vlanID = flags.contains(.vlanTagged) ? metadata.vlanID : 0
        return symmetricIPv4(
            source: source, destination: destination, sourcePort: sourcePort,
            destinationPort: destinationPort, ipProtocol: ipProtocol, vlanID: vlanID, hasher: hasher)
    }

    /// The symmetric hash of an IPv4 flow: the endpoints are put in canonical order (lower
    /// address first; lower port first on equal addresses) and hashed as two words.
    @inlinable @inline(__always)
    public static func symmetricIPv4(
        source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16,
        ipProtocol: UInt8, vlanID: UInt16, hasher: TableHash
    ) -> UInt32 {
        let sourceFirst = source < destination || (source == destination && sourcePort <= destinationPort)
        let addresses = sourceFirst ? UInt64(source) << 32 | UInt64(destination) : UInt64(destination) << 32 | UInt64(source)
        let ports = sourceFirst ? UInt64(sourcePort) << 16 | UInt64(destinationPort) : UInt64(destinationPort) << 16 | UInt64(sourcePort)
        let rest = ports << 32 | UInt64(ipProtocol) << 16 | UInt64(vlanID)
        return UInt32(truncatingIfNeeded: hasher.hash(addresses, rest))
    }

    /// The hash of a canonical (already ordered) IPv6 key; `FlowKey.symmetricHash` uses it.
    @inlinable @inline(__always)
    public static func symmetric(
        lowHigh: UInt64, low: UInt64, highHigh: UInt64, high: UInt64,
        lowPort: UInt16, highPort: UInt16, ipProtocol: UInt8, vlanID: UInt16,
        hasher: TableHash
    ) -> UInt32 {
        let tail = UInt64(lowPort) << 48 | UInt64(highPort) << 32 | UInt64(ipProtocol) << 16 | UInt64(vlanID)
        return UInt32(truncatingIfNeeded: hasher.hash(low, high, lowHigh, highHigh, tail))
    }
}
