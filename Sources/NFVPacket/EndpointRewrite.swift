/// Rewrites one end (source or destination) of a parsed IPv4 packet in place, through the
/// header views (`IPv4Header`, `TCPHeader`, `UDPHeader`, `ICMPHeader`): its address, its
/// TCP/UDP port or ICMP query identifier, or both, with every checksum patched incrementally
/// (RFC 1624) rather than recomputed:
///
/// - the IPv4 header checksum covers the address;
/// - a TCP or UDP checksum covers the address (in the pseudo-header) and the port;
/// - an ICMP checksum covers the identifier, not the addresses;
/// - a UDP checksum of 0 means none and stays 0; one that comes out 0 is sent as 0xFFFF
///   (RFC 768);
/// - a partial TCP or UDP checksum (`PacketOffload.isChecksumPartial`: the field holds the
///   pseudo-header sum, the port is summed later by whoever finishes it) follows an address
///   change and ignores a port change, as the kernel's inet_proto_csum_replace4 does.
///
/// The one place NAT, the load balancer and the switch's set_field actions rewrite endpoints.
/// Callers have checked that the packet is IPv4 with the transport header they rewrite, and
/// that its header checksum is right (an incremental update keeps a wrong one wrong).
public enum EndpointRewrite {
    /// Which end of the packet.
    public enum End: Sendable {
        case source, destination

        /// The address's offset in the IPv4 header.
        @inlinable public var addressOffset: Int { self == .source ? 12 : 16 }
        /// The port's offset in the TCP or UDP header.
        @inlinable public var portOffset: Int { self == .source ? 0 : 2 }
    }

    /// Replaces the address and the port (TCP, UDP) or query identifier (ICMP) at `end`.
    @inlinable @inline(__always)
    public static func rewrite(
        _ end: End, of frame: UnsafeMutableRawPointer, packet: PacketMetadata, ipProtocol: UInt8,
        address: UInt32, port: UInt16
    ) {
        let oldAddress = swapAddress(end, of: IPv4Header(frame + Int(packet.l3Offset)), to: address)
        let l4 = frame + Int(packet.l4Offset)
        switch ipProtocol {
        case IPProtocol.tcp:
            let tcp = TCPHeader(l4)
            let oldPort = end == .source ? tcp.sourcePort : tcp.destinationPort
            if end == .source { tcp.sourcePort = port } else { tcp.destinationPort = port }
            if packet.offload.isChecksumPartial {
                tcp.checksum = InternetChecksum.partialUpdated(tcp.checksum, old: oldAddress, new: address)
                return
            }
            // The address is in the pseudo-header, the port in the segment: one update for both.
            tcp.checksum = InternetChecksum.updated(tcp.checksum, oldAddress: oldAddress, newAddress: address, oldPort: oldPort, newPort: port)
        case IPProtocol.udp:
            let udp = UDPHeader(l4)
            let oldPort = end == .source ? udp.sourcePort : udp.destinationPort
            if end == .source { udp.sourcePort = port } else { udp.destinationPort = port }
            if packet.offload.isChecksumPartial {
                udp.checksum = InternetChecksum.partialUpdated(udp.checksum, old: oldAddress, new: address)
                return
            }
            guard udp.checksum != 0 else { return }
            let patched = InternetChecksum.updated(udp.checksum, oldAddress: oldAddress, newAddress: address, oldPort: oldPort, newPort: port)
            udp.checksum = patched == 0 ? 0xFFFF : patched
        default:
            let icmp = ICMPHeader(l4)
            let oldIdentifier = icmp.identifier
            icmp.identifier = port
            icmp.checksum = InternetChecksum.updated(icmp.checksum, old: oldIdentifier, new: port)
        }
    }

    /// Writes `address` at `end` of `ip` with the header checksum updated; returns the old one.
    @inlinable @inline(__always)
    static func swapAddress(_ end: End, of ip: IPv4Header, to address: UInt32) -> UInt32 {
        let old = end == .source ? ip.source.rawValue : ip.destination.rawValue
        if end == .source { ip.source = IPv4Address(rawValue: address) } else { ip.destination = IPv4Address(rawValue: address) }
        ip.checksum = InternetChecksum.updated(ip.checksum, old: old, new: address)
        return old
    }

    /// Replaces the address and the TCP/UDP port at `end` with values in packet byte order,
    /// patching the checksums with adjustments computed once per flow
    /// (`InternetChecksum.adjustments`, also in packet byte order: ones'-complement sums do
    /// not care, RFC 1071 2(B)). The fast path of a tracked connection: two adds per checksum.
    @inlinable @inline(__always)
    public static func rewrite(
        _ end: End, of frame: UnsafeMutableRawPointer, packet: PacketMetadata, isUDP: Bool,
        addressWire: UInt32, portWire: UInt16, ipAdjustment: UInt16, transportAdjustment: UInt16
    ) {
        let l3 = frame + Int(packet.l3Offset)
        let l4 = frame + Int(packet.l4Offset)
        l3.storeBytes(of: addressWire, toByteOffset: end.addressOffset, as: UInt32.self)
        let ipChecksum = l3.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
        l3.storeBytes(of: InternetChecksum.adjusted(ipChecksum, by: ipAdjustment), toByteOffset: 10, as: UInt16.self)
        l4.storeBytes(of: portWire, toByteOffset: end.portOffset, as: UInt16.self)
        let checksumOffset = isUDP ? 6 : 16
        let checksum = l4.loadUnaligned(fromByteOffset: checksumOffset, as: UInt16.self)
        if packet.offload.isChecksumPartial {
            // The pseudo-header moves by the address change alone, the same as the IP header.
            l4.storeBytes(of: InternetChecksum.partialAdjusted(checksum, by: ipAdjustment), toByteOffset: checksumOffset, as: UInt16.self)
            return
        }
        if isUDP && checksum == 0 { return }
        let patched = InternetChecksum.adjusted(checksum, by: transportAdjustment)
        l4.storeBytes(of: isUDP && patched == 0 ? 0xFFFF : patched, toByteOffset: checksumOffset, as: UInt16.self)
    }

    /// Replaces only the address at `end`: the IPv4 header checksum, and the TCP or UDP
    /// checksum when the packet carries that header (ICMP's does not cover addresses).
    @inlinable @inline(__always)
    public static func rewriteAddress(_ end: End, of frame: UnsafeMutableRawPointer, packet: PacketMetadata, address: UInt32) {
        let old = swapAddress(end, of: IPv4Header(frame + Int(packet.l3Offset)), to: address)
        guard packet.flags.contains(.hasL4) else { return }
        if packet.offload.isChecksumPartial {
            patchPartialChecksum(of: frame, packet: packet) { InternetChecksum.partialUpdated($0, old: old, new: address) }
            return
        }
        patchTransportChecksum(of: frame, packet: packet) { InternetChecksum.updated($0, old: old, new: address) }
    }

    /// Replaces only the TCP or UDP port at `end` (other protocols are left alone).
    @inlinable @inline(__always)
    public static func rewritePort(_ end: End, of frame: UnsafeMutableRawPointer, packet: PacketMetadata, port: UInt16) {
        guard packet.flags.contains(.hasL4), packet.ipProtocol == IPProtocol.tcp || packet.ipProtocol == IPProtocol.udp else { return }
        // TCP and UDP both start with the source and destination ports.
        let ports = UDPHeader(frame + Int(packet.l4Offset))
        let old = end == .source ? ports.sourcePort : ports.destinationPort
        if end == .source { ports.sourcePort = port } else { ports.destinationPort = port }
        // A partial checksum does not cover the port yet: whoever finishes it will.
        guard !packet.offload.isChecksumPartial else { return }
        patchTransportChecksum(of: frame, packet: packet) { InternetChecksum.updated($0, old: old, new: port) }
    }

    /// Applies `update` to the TCP or UDP checksum (a UDP checksum of 0 stays 0; 0 is sent as 0xFFFF).
    @inlinable @inline(__always)
    static func patchTransportChecksum(of frame: UnsafeMutableRawPointer, packet: PacketMetadata, _ update: (UInt16) -> UInt16) {
        let l4 = frame + Int(packet.l4Offset)
        switch packet.ipProtocol {
        case IPProtocol.tcp:
            let tcp = TCPHeader(l4)
            tcp.checksum = update(tcp.checksum)
        case IPProtocol.udp:
            let udp = UDPHeader(l4)
            guard udp.checksum != 0 else { return }
            let patched = update(udp.checksum)
            udp.checksum = patched == 0 ? 0xFFFF : patched
        default:
            break
        }
    }

    /// Applies `update` to a partial TCP or UDP checksum (the pseudo-header sum; 0 is a sum
    /// like any other here).
    @inlinable @inline(__always)
    static func patchPartialChecksum(of frame: UnsafeMutableRawPointer, packet: PacketMetadata, _ update: (UInt16) -> UInt16) {
        let l4 = frame + Int(packet.l4Offset)
        switch packet.ipProtocol {
        case IPProtocol.tcp: TCPHeader(l4).checksum = update(TCPHeader(l4).checksum)
        case IPProtocol.udp: UDPHeader(l4).checksum = update(UDPHeader(l4).checksum)
        default: break
        }
    }
}
