import NFVIO
import NFVPacket

/// Hand-built Ethernet + IPv4 frames for the tests whose expectation is a rule (a checksum
/// verified, a fragment held, a forward taken) rather than bytes another tool produced: TCP,
/// UDP or ICMP echo with a valid IPv4 header checksum and an ICMP checksum; UDP without a
/// checksum (0) and TCP with 0 (no stage here checks them).
public enum TestFrame {
    public static let clientMAC = MACAddress(0x02, 0, 0, 0, 0x01, 0x0A)
    public static let routerMAC = MACAddress(0x02, 0, 0, 0, 0x01, 0x01)

    /// A frame from `source` to `destination`. `fragment` is the IPv4 flags and offset field
    /// (0x2000: more fragments; 8: offset 64 bytes); a later fragment (non-zero offset) carries
    /// `transportBytes` of payload instead of a transport header. `transportBytes` cuts the
    /// transport header (or payload) short.
    public static func ipv4(
        from source: IPv4Address, to destination: IPv4Address, ipProtocol: UInt8,
        sourcePort: UInt16 = 40000, destinationPort: UInt16 = 0, tcpFlags: TCPFlags = .syn,
        icmpType: UInt8 = 8, identifier: UInt16 = 0x4242,
        identification: UInt16 = 0, fragment: UInt16 = 0, ttl: UInt8 = 64,
        transportBytes: Int? = nil,
        sourceMAC: MACAddress = clientMAC, destinationMAC: MACAddress = routerMAC,
        time: UInt64 = 1_000_000_000
    ) -> MemoryPort.Frame {
        let headerBytes = ipProtocol == IPProtocol.tcp ? 20 : 8
        let l4Bytes = transportBytes ?? headerBytes
        var bytes = [UInt8](repeating: 0, count: 14 + 20 + l4Bytes)
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            EthernetHeader(frame).destination = destinationMAC
            EthernetHeader(frame).source = sourceMAC
            EthernetHeader(frame).etherType = EtherType.ipv4
            frame.storeByte(0x45, at: 14)
            let ip = IPv4Header(frame + 14)
            ip.totalLength = UInt16(20 + l4Bytes)
            frame.storeNetworkUInt16(identification, at: 18)
            frame.storeNetworkUInt16(fragment, at: 20)
            ip.ttl = ttl
            frame.storeByte(ipProtocol, at: 23)
            ip.source = source
            ip.destination = destination
            ip.updateChecksum()
            guard fragment & 0x1FFF == 0 else { return }  // a later fragment: payload only
            var header = [UInt8](repeating: 0, count: headerBytes)
            header.withUnsafeMutableBytes { transport in
                let l4 = transport.baseAddress!
                switch ipProtocol {
                case IPProtocol.icmp:
                    l4.storeByte(icmpType, at: 0)
                    l4.storeNetworkUInt16(identifier, at: 4)
                    l4.storeNetworkUInt16(1, at: 6)
                    l4.storeNetworkUInt16(InternetChecksum.checksum(UnsafeRawPointer(l4), byteCount: 8), at: 2)
                case IPProtocol.udp:
                    l4.storeNetworkUInt16(sourcePort, at: 0)
                    l4.storeNetworkUInt16(destinationPort, at: 2)
                    l4.storeNetworkUInt16(UInt16(max(l4Bytes, 8)), at: 4)
                default:
                    l4.storeNetworkUInt16(sourcePort, at: 0)
                    l4.storeNetworkUInt16(destinationPort, at: 2)
                    l4.storeByte(0x50, at: 12)
                    l4.storeByte(tcpFlags.rawValue, at: 13)
                }
            }
            (frame + 34).copyMemory(from: header, byteCount: min(headerBytes, l4Bytes))
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: time)
    }

    /// `frame` with its IPv4 header checksum off by one, as a bit error would leave it.
    public static func withBadIPv4Checksum(_ frame: MemoryPort.Frame) -> MemoryPort.Frame {
        var bytes = frame.bytes
        bytes[25] &+= 1
        return MemoryPort.Frame(bytes: bytes, timestamp: frame.timestamp)
    }
}
