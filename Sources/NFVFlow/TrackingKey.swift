import NFVPacket

/// A packet's connection identity in canonical (direction-free) order, with the direction the
/// packet travels: what the tracker looks up (it hashes the key with its own keyed
/// `TableHash`, so both directions meet). Built straight from the frame, with no intermediate
/// `FlowKey` for IPv4.
@frozen
public struct TrackingKey: Equatable, Sendable {
    /// The lower endpoint's address (IPv4 as IPv4-mapped), high and low 64 bits.
    public var lowAddressHigh: UInt64
    public var lowAddressLow: UInt64
    /// The higher endpoint's address.
    public var highAddressHigh: UInt64
    public var highAddressLow: UInt64
    /// Ports (or ICMP query identifier) of the lower and higher endpoint, protocol and VLAN in
    /// one word: lowPort << 48 | highPort << 32 | protocol << 16 | vlan.
    public var portsProtocolVLAN: UInt64
    /// True when the packet travels from the lower endpoint to the higher one.
    public var sourceIsLow: Bool

    /// The key of a `FlowKey` (a quoted packet, a configured flow).
    @inlinable
    public init(_ key: FlowKey) {
        let sourceIsLow =
            key.source < key.destination
            || (key.source == key.destination && key.sourcePort <= key.destinationPort)
        let low = sourceIsLow ? key.source : key.destination
        let high = sourceIsLow ? key.destination : key.source
        let lowPort = sourceIsLow ? key.sourcePort : key.destinationPort
        let highPort = sourceIsLow ? key.destinationPort : key.sourcePort
        self.init(
            lowAddressHigh: low.high, lowAddressLow: low.low, highAddressHigh: high.high, highAddressLow: high.low,
            lowPort: lowPort, highPort: highPort, ipProtocol: key.ipProtocol, vlanID: key.vlanID,
            sourceIsLow: sourceIsLow)
    }

    @inlinable @inline(__always)
    init(
        lowAddressHigh: UInt64, lowAddressLow: UInt64, highAddressHigh: UInt64, highAddressLow: UInt64,
        lowPort: UInt16, highPort: UInt16, ipProtocol: UInt8, vlanID: UInt16, sourceIsLow: Bool
    ) {
        self.lowAddressHigh = lowAddressHigh
        self.lowAddressLow = lowAddressLow
        self.highAddressHigh = highAddressHigh
        self.highAddressLow = highAddressLow
        let word = UInt64(lowPort) << 48 | UInt64(highPort) << 32 | UInt64(ipProtocol) << 16 | UInt64(vlanID)
        self.portsProtocolVLAN = word
        self.sourceIsLow = sourceIsLow
    }

    /// The key of a parsed IP frame; nil for non-IP frames and for non-first fragments (they
    /// carry no ports to identify a connection).
    @inlinable @inline(__always)
    public init?(frame: UnsafeMutableRawPointer, metadata: PacketMetadata) {
        var copy = metadata
        guard let key = withUnsafePointer(to: &copy, { TrackingKey(frame: frame, metadata: $0) }) else { return nil }
        self = key
    }

    /// The key of the parsed IP frame `metadata` points at (read in place, not copied).
    @inlinable @inline(__always)
    public init?(frame: UnsafeMutableRawPointer, metadata pointer: UnsafePointer<PacketMetadata>) {
        let flags = pointer.pointee.flags
        let ipProtocol = pointer.pointee.ipProtocol
        // Fast path: IPv4 TCP/UDP with a transport header.
        if flags.rawValue & (PacketFlags.ipv4.rawValue | PacketFlags.hasL4.rawValue | PacketFlags.laterFragment.rawValue)
            == PacketFlags.ipv4.rawValue | PacketFlags.hasL4.rawValue,
            ipProtocol == IPProtocol.tcp || ipProtocol == IPProtocol.udp
        {
            let l3 = Int(pointer.pointee.l3Offset)
            let l4 = Int(pointer.pointee.l4Offset)
            let source = UInt64(frame.loadNetworkUInt32(at: l3 &+ 12))
            let destination = UInt64(frame.loadNetworkUInt32(at: l3 &+ 16))
            let sourcePort = frame.loadNetworkUInt16(at: l4)
            let destinationPort = frame.loadNetworkUInt16(at: l4 &+ 2)
            let sourceIsLow = source < destination || (source == destination && sourcePort <= destinationPort)
            self.init(
                lowAddressHigh: 0, lowAddressLow: 0x0000_FFFF_0000_0000 | (sourceIsLow ? source : destination),
                highAddressHigh: 0, highAddressLow: 0x0000_FFFF_0000_0000 | (sourceIsLow ? destination : source),
                lowPort: sourceIsLow ? sourcePort : destinationPort,
                highPort: sourceIsLow ? destinationPort : sourcePort,
                ipProtocol: ipProtocol, vlanID: flags.contains(.vlanTagged) ? pointer.pointee.vlanID : 0,
                sourceIsLow: sourceIsLow)
            return
        }
        let metadata = pointer.pointee
        guard let key = TrackingKey.general(frame: frame, metadata: metadata) else { return nil }
        self = key
    }

    /// Every frame the fast path does not cover: IPv6, ICMP, other protocols, VLAN-less
    /// details.
    @inline(never) @usableFromInline
    static func general(frame: UnsafeMutableRawPointer, metadata: PacketMetadata) -> TrackingKey? {
        let flags = metadata.flags
        guard !flags.contains(.laterFragment) else { return nil }
        let l3 = Int(metadata.l3Offset)
        var sourceHigh: UInt64 = 0
        var sourceLow: UInt64
        var destinationHigh: UInt64 = 0
        var destinationLow: UInt64
        if flags.contains(.ipv4) {
            sourceLow = 0x0000_FFFF_0000_0000 | UInt64(frame.loadNetworkUInt32(at: l3 &+ 12))
            destinationLow = 0x0000_FFFF_0000_0000 | UInt64(frame.loadNetworkUInt32(at: l3 &+ 16))
        } else if flags.contains(.ipv6) {
            sourceHigh = frame.loadNetworkUInt64(at: l3 &+ 8)
            sourceLow = frame.loadNetworkUInt64(at: l3 &+ 16)
            destinationHigh = frame.loadNetworkUInt64(at: l3 &+ 24)
            destinationLow = frame.loadNetworkUInt64(at: l3 &+ 32)
        } else {
            return nil
        }
        let ipProtocol = metadata.ipProtocol
        var sourcePort: UInt16 = 0
        var destinationPort: UInt16 = 0
        if flags.contains(.hasL4) {
            let l4 = Int(metadata.l4Offset)
            switch ipProtocol {
            case IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp:
                sourcePort = frame.loadNetworkUInt16(at: l4)
                destinationPort = frame.loadNetworkUInt16(at: l4 &+ 2)
            case IPProtocol.icmp where ICMPHeader.isQueryV4(type: frame.loadByte(at: l4)),
                IPProtocol.icmpv6 where ICMPHeader.isQueryV6(type: frame.loadByte(at: l4)):
                sourcePort = frame.loadNetworkUInt16(at: l4 &+ 4)
                destinationPort = sourcePort
            default:
                break
            }
        }
        let sourceIsLow =
            sourceHigh < destinationHigh
            || (sourceHigh == destinationHigh
                && (sourceLow < destinationLow
                    || (sourceLow == destinationLow && sourcePort <= destinationPort)))
        return TrackingKey(
            lowAddressHigh: sourceIsLow ? sourceHigh : destinationHigh,
            lowAddressLow: sourceIsLow ? sourceLow : destinationLow,
            highAddressHigh: sourceIsLow ? destinationHigh : sourceHigh,
            highAddressLow: sourceIsLow ? destinationLow : sourceLow,
            lowPort: sourceIsLow ? sourcePort : destinationPort,
            highPort: sourceIsLow ? destinationPort : sourcePort,
            ipProtocol: ipProtocol, vlanID: flags.contains(.vlanTagged) ? metadata.vlanID : 0,
            sourceIsLow: sourceIsLow)
    }

    /// The IP protocol.
    @inlinable public var ipProtocol: UInt8 { UInt8(truncatingIfNeeded: portsProtocolVLAN >> 16) }
}
