/// The identity of a flow: addresses, ports, protocol and VLAN. IPv4 addresses are held in
/// IPv4-mapped IPv6 form so one key type serves both families.
///
/// Ports are the TCP/UDP/SCTP ports; for ICMP and ICMPv6 query messages (echo) both are the
/// query identifier, so a request and its reply share a key. Other packets have ports 0.
@frozen
public struct FlowKey: Hashable, Sendable, CustomStringConvertible {
    /// Source address (IPv4 as IPv4-mapped).
    public var source: IPv6Address
    /// Destination address (IPv4 as IPv4-mapped).
    public var destination: IPv6Address
    /// Source port, or the ICMP query identifier.
    public var sourcePort: UInt16
    /// Destination port, or the ICMP query identifier.
    public var destinationPort: UInt16
    /// IP protocol (IPv6: the upper-layer next header).
    public var ipProtocol: UInt8
    /// Outer VLAN ID, 0 when untagged.
    public var vlanID: UInt16

    /// Creates a key from its parts.
    @inlinable
    public init(
        source: IPv6Address, destination: IPv6Address, sourcePort: UInt16, destinationPort: UInt16,
        ipProtocol: UInt8, vlanID: UInt16 = 0
    ) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol
        self.vlanID = vlanID
    }

    /// Extracts the key of a parsed IP packet; nil for non-IP frames or unparsed metadata.
    @inlinable
    public init?(frame: UnsafeMutableRawPointer, metadata: PacketMetadata) {
        let flags = metadata.flags
        let l3 = Int(metadata.l3Offset)
        if flags.contains(.ipv4) {
            source = IPv6Address(ipv4Mapped: IPv4Address(rawValue: frame.loadNetworkUInt32(at: l3 &+ 12)))
            destination = IPv6Address(ipv4Mapped: IPv4Address(rawValue: frame.loadNetworkUInt32(at: l3 &+ 16)))
        } else if flags.contains(.ipv6) {
            source = IPv6Address(loadingFrom: frame, at: l3 &+ 8)
            destination = IPv6Address(loadingFrom: frame, at: l3 &+ 24)
        } else {
            return nil
        }
        ipProtocol = metadata.ipProtocol
        vlanID = flags.contains(.vlanTagged) ? metadata.vlanID : 0
        sourcePort = 0
        destinationPort = 0
        guard flags.contains(.hasL4) else { return }
        let l4 = Int(metadata.l4Offset)
        switch ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp:
            sourcePort = frame.loadNetworkUInt16(at: l4)
            destinationPort = frame.loadNetworkUInt16(at: l4 &+ 2)
        case IPProtocol.icmp where ICMPHeader.isQueryV4(type: frame.loadByte(at: l4)):
            sourcePort = frame.loadNetworkUInt16(at: l4 &+ 4)
            destinationPort = sourcePort
        case IPProtocol.icmpv6 where ICMPHeader.isQueryV6(type: frame.loadByte(at: l4)):
            sourcePort = frame.loadNetworkUInt16(at: l4 &+ 4)
            destinationPort = sourcePort
        default:
            break
        }
    }

    /// The key of the reply direction.
    @inlinable
    public var reversed: FlowKey {
        FlowKey(
            source: destination, destination: source, sourcePort: destinationPort,
            destinationPort: sourcePort, ipProtocol: ipProtocol, vlanID: vlanID)
    }

    /// The direction-independent form: the endpoint that sorts lower comes first. A key and its
    /// reverse have the same canonical form.
    @inlinable
    public var canonical: FlowKey {
        if source < destination || (source == destination && sourcePort <= destinationPort) { return self }
        return reversed
    }

    /// A hash equal for both directions of a flow, keyed by `hasher` (the process's
    /// `TableHash.process` for worker steering: every worker of the process agrees).
    /// IPv4 flows use the cheaper `FlowHash.symmetricIPv4`.
    @inlinable
    public func symmetricHash(with hasher: TableHash) -> UInt32 {
        if let source = source.ipv4Mapped, let destination = destination.ipv4Mapped {
            return FlowHash.symmetricIPv4(
                source: source.rawValue, destination: destination.rawValue,
                sourcePort: sourcePort, destinationPort: destinationPort,
                ipProtocol: ipProtocol, vlanID: vlanID, hasher: hasher)
        }
        let key = canonical
        return FlowHash.symmetric(
            lowHigh: key.source.high, low: key.source.low,
            highHigh: key.destination.high, high: key.destination.low,
            lowPort: key.sourcePort, highPort: key.destinationPort,
            ipProtocol: key.ipProtocol, vlanID: key.vlanID, hasher: hasher)
    }

    /// `tcp 10.0.0.1:1234 -> 192.0.2.1:80 vlan 0`.
    public var description: String {
        func text(_ address: IPv6Address) -> String {
            address.ipv4Mapped.map { "\($0)" } ?? "[\(address)]"
        }
        let name = IPProtocol.name(ipProtocol)
        return
            "\((UInt8(name) == nil ? "" : "proto ") + name) \(text(source)):\(sourcePort) -> \(text(destination)):\(destinationPort) vlan \(vlanID)"
    }
}
