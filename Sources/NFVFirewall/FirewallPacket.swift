import NFVPacket

/// The fields of one packet that firewall rules look at, read once from the parsed frame.
@frozen
public struct FirewallPacket {
    public var inPort: UInt16
    public var outPort: UInt16
    public var etherType: UInt16
    /// Outer VLAN ID, 0 when untagged.
    public var vlanID: UInt16
    public var isIP: Bool
    public var isIPv4: Bool
    public var ipProtocol: UInt8
    public var sourceHigh: UInt64
    public var sourceLow: UInt64
    public var destinationHigh: UInt64
    public var destinationLow: UInt64
    /// True when the packet has TCP/UDP/SCTP ports.
    public var hasPorts: Bool
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var tcpFlags: UInt8
    /// True when the packet is ICMP or ICMPv6 with a header.
    public var hasICMP: Bool
    public var icmpType: UInt8
    public var icmpCode: UInt8

    /// Reads the fields of a parsed frame.
    @inlinable
    public init(frame: UnsafeMutableRawPointer, metadata: PacketMetadata) {
        let flags = metadata.flags
        inPort = metadata.inPort
        outPort = metadata.outPort
        etherType = metadata.etherType
        vlanID = flags.contains(.vlanTagged) ? metadata.vlanID : 0
        isIPv4 = flags.contains(.ipv4)
        isIP = isIPv4 || flags.contains(.ipv6)
        ipProtocol = isIP ? metadata.ipProtocol : 0
        let l3 = Int(metadata.l3Offset)
        if isIPv4 {
            sourceHigh = 0
            sourceLow = 0x0000_FFFF_0000_0000 | UInt64(frame.loadNetworkUInt32(at: l3 &+ 12))
            destinationHigh = 0
            destinationLow = 0x0000_FFFF_0000_0000 | UInt64(frame.loadNetworkUInt32(at: l3 &+ 16))
        } else if isIP {
            sourceHigh = frame.loadNetworkUInt64(at: l3 &+ 8)
            sourceLow = frame.loadNetworkUInt64(at: l3 &+ 16)
            destinationHigh = frame.loadNetworkUInt64(at: l3 &+ 24)
            destinationLow = frame.loadNetworkUInt64(at: l3 &+ 32)
        } else {
            sourceHigh = 0
            sourceLow = 0
            destinationHigh = 0
            destinationLow = 0
        }
        hasPorts = false
        sourcePort = 0
        destinationPort = 0
        tcpFlags = 0
        hasICMP = false
        icmpType = 0
        icmpCode = 0
        guard isIP, flags.contains(.hasL4) else { return }
        let l4 = Int(metadata.l4Offset)
        switch ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp:
            hasPorts = true
            sourcePort = frame.loadNetworkUInt16(at: l4)
            destinationPort = frame.loadNetworkUInt16(at: l4 &+ 2)
            if ipProtocol == IPProtocol.tcp { tcpFlags = frame.loadByte(at: l4 &+ 13) }
        case IPProtocol.icmp, IPProtocol.icmpv6:
            hasICMP = true
            icmpType = frame.loadByte(at: l4)
            icmpCode = frame.loadByte(at: l4 &+ 1)
        default:
            break
        }
    }
}
