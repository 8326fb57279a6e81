import NFVPacket

/// Builds the frames of a synthetic workload: IPv4/UDP, one frame per flow, each flow with
/// its own source address and port, IP and UDP checksums valid. `expiredPercent` of the flows, spread
/// evenly, carry TTL 1 so a TTL stage drops them.
enum WorkloadBuilder {
    static func udpFlows(count: Int, frameByteCount: Int, ttl: UInt8, expiredPercent: Int, destinationNetworks: Int = 0) -> [[UInt8]] {
        var expiredSoFar = 0
        let headerByteCount = EthernetHeader.byteCount + IPv4Header.minimumByteCount + UDPHeader.byteCount
        return (0..<count).map { flow in
            var frame = [UInt8](repeating: 0, count: frameByteCount)
            frame.withUnsafeMutableBytes { buffer in
                let base = buffer.baseAddress!
                let ethernet = EthernetHeader(base)
                ethernet.destination = MACAddress(0x02, 0, 0, 0, 0, 0x02)
                ethernet.source = MACAddress(0x02, 0, 0, 0, 0, 0x01)
                ethernet.etherType = EtherType.ipv4
                let ip = IPv4Header(base + EthernetHeader.byteCount)
                base.storeByte(0x45, at: EthernetHeader.byteCount)
                ip.totalLength = UInt16(frameByteCount - EthernetHeader.byteCount)
                ip.identification = UInt16(truncatingIfNeeded: flow)
                // Flow i expires when the running share of expired flows falls below the target.
                if expiredSoFar * 100 < expiredPercent * (flow + 1) {
                    ip.ttl = 1
                    expiredSoFar += 1
                } else {
                    ip.ttl = ttl
                }
                base.storeByte(IPProtocol.udp, at: EthernetHeader.byteCount + 9)
                ip.source = IPv4Address(rawValue: 0x0A00_0000 | UInt32(truncatingIfNeeded: flow >> 8 & 0xFFFF) << 8 | UInt32(flow & 0xFF))
                // One destination, or host .1 of one of `destinationNetworks` /24s from 100.64.0.0.
                ip.destination =
                    destinationNetworks > 0
                    ? IPv4Address(rawValue: 0x6440_0001 &+ UInt32(flow % destinationNetworks) << 8)
                    : IPv4Address(198, 51, 100, 1)
                ip.updateChecksum()
                let udp = UDPHeader(base + EthernetHeader.byteCount + IPv4Header.minimumByteCount)
                udp.sourcePort = UInt16(truncatingIfNeeded: 1024 + flow % 60_000)
                udp.destinationPort = 4789
                udp.length = UInt16(frameByteCount - EthernetHeader.byteCount - IPv4Header.minimumByteCount)
                for index in headerByteCount..<frameByteCount { base.storeByte(UInt8(truncatingIfNeeded: index), at: index) }
                // A real checksum (most traffic carries one), over pseudo-header and datagram.
                udp.checksum = 0
                let udpLength = frameByteCount - EthernetHeader.byteCount - IPv4Header.minimumByteCount
                let pseudo = InternetChecksum.pseudoHeaderSum(
                    source: ip.source, destination: ip.destination,
                    protocol: IPProtocol.udp, length: udpLength)
                let checksum = InternetChecksum.checksum(UnsafeRawPointer(udp.pointer), byteCount: udpLength, initial: pseudo)
                udp.checksum = checksum == 0 ? 0xFFFF : checksum
            }
            return frame
        }
    }
}
