import NFVPacket
import NFVPipeline

/// Traffic the router answers itself: echo replies to its own addresses and the ICMP errors
/// it originates (RFC 1812 4.3.2: precedence 6, DF clear, rate limited, from the address of the
/// interface the error leaves by).
extension RouterStage {
    /// Traffic for the router itself (or never forwarded): echo requests are answered.
    func deliverLocally(
        _ index: Int, value: UInt32, packet: PacketMetadata, frame: UnsafeMutableRawPointer,
        interface: Int, batch: PacketBatch, emit: PacketBatch
    ) {
        if value & Self.noForwardFlag != 0 {
            batch.drop(index, reason: .notRoutedMulticast)
            return
        }
        batch.drop(index, reason: .consumed)
        guard packet.flags.contains(.hasL4) else { return }
        let type = frame.loadByte(at: Int(packet.l4Offset))
        let isEcho =
            packet.flags.contains(.ipv4)
            ? packet.ipProtocol == IPProtocol.icmp && type == ICMPHeader.echoRequest
            : packet.ipProtocol == IPProtocol.icmpv6 && type == ICMPHeader.echoRequestV6
        guard isEcho else { return }
        let l3 = frame + Int(packet.l3Offset)
        let destination = packet.flags.contains(.ipv4) ? IPv6Address(ipv4Mapped: IPv4Header(l3).destination) : IPv6Header(l3).destination
        if generate(
            emit: emit, outPort: packet.inPort, timestamp: packet.timestamp,
            build: { output in
                NeighborMessages.echoReply(original: frame, metadata: packet, source: destination, output: output)
            })
        {
            counters.count(3)
        }
    }

    /// Sends an ICMP (IPv4) or ICMPv6 error about `packet` from the ingress interface, within
    /// the rate limit.
    @inline(never)
    func sendICMPError(
        type: UInt8, code: UInt8, rest: UInt32, packet: PacketMetadata, frame: UnsafeMutableRawPointer,
        interface: Int, emit: PacketBatch
    ) {
        let isIPv4 = packet.flags.contains(.ipv4)
        let source =
            interfaces[interface].addresses.first { $0.isIPv4 == isIPv4 }?.address
            ?? (isIPv4 ? nil : interfaces[interface].linkLocal)
        guard let source else { return }
        guard icmpBucket.take(now: packet.timestamp) else {
            counters.count(1)
            return
        }
        if generate(
            emit: emit, outPort: packet.inPort, timestamp: packet.timestamp,
            build: { output in
                ReplyBuilder.icmpError(
                    type: type, code: code, rest: rest, source: source, original: frame, metadata: packet,
                    output: output)
            })
        {
            counters.count(0)
        }
    }

    /// Builds a packet in a fresh buffer and appends it to `emit`; false when there was no
    /// buffer, no room, or nothing to build.
    func generate(
        emit: PacketBatch, outPort: UInt16, timestamp: UInt64,
        build: (UnsafeMutableRawPointer) -> Int?
    ) -> Bool {
        let result = emit.appendGenerated(outPort: outPort, timestamp: timestamp, build: build)
        if result == .noBuffer { counters.count(6) }
        return result == .appended
    }
}
