import NFVPacket

/// Which worker owns a received frame when a chain runs on several workers.
///
/// Each worker keeps its own copy of every stateful stage (connection tracker, neighbour table),
/// so both directions of a connection must reach the same worker. The kernel picks the TAP
/// queue a frame arrives on, and it may pick a different queue for the reply, so every worker
/// steers what it reads: the owner is the symmetric flow hash (`FlowHash.symmetric`, equal for
/// both directions, keyed by the process's `TableHash`) modulo the worker count. An ICMP or ICMPv6 error belongs to the connection
/// it quotes, so it goes where that connection's state lives (RELATED).
///
/// Frames that carry no flow are handled where they arrive (`.local`), except those that teach
/// every worker something: ARP replies, and IPv6 neighbour and router advertisements and
/// redirects go to every worker (`.everyWorker`), so each worker's router learns the next hop
/// its own ARP request asked for. A frame the parser rejects stays local; the chain's parse
/// stage drops it and counts the reason.
public enum FlowSteering {
    public enum Target: Equatable, Sendable {
        case local
        case worker(Int)
        case everyWorker
    }

    /// The worker for the frame at `frame` with (unparsed) `metadata`, among `workerCount`;
    /// every worker of a chain passes the same `hasher`.
    public static func target(
        frame: UnsafeMutableRawPointer, metadata: PacketMetadata, workerCount: Int,
        hasher: TableHash
    ) -> Target {
        var parsed = metadata
        guard PacketParser.parse(frame, metadata: &parsed) == .none else { return .local }
        let flags = parsed.flags
        if flags.contains(.ipv4) || flags.contains(.ipv6) {
            if flags.contains(.hasL4) {
                let l4 = Int(parsed.l4Offset)
                if parsed.ipProtocol == IPProtocol.icmp || parsed.ipProtocol == IPProtocol.icmpv6 {
                    let type = frame.loadByte(at: l4)
                    let isError = parsed.ipProtocol == IPProtocol.icmp ? ICMPQuote.isErrorV4(type: type) : ICMPQuote.isErrorV6(type: type)
                    if isError {
                        guard let quote = ICMPQuote(frame: frame, metadata: parsed) else { return .local }
                        return .worker(Int(quote.key.symmetricHash(with: hasher) % UInt32(workerCount)))
                    }
                    // Neighbour discovery (RFC 4861): advertisements and redirects teach every
                    // worker's neighbour table; solicitations are answered where they arrive.
                    if parsed.ipProtocol == IPProtocol.icmpv6, type >= 133, type <= 137 {
                        return type == 134 || type == 136 || type == 137 ? .everyWorker : .local
                    }
                }
            }
            return .worker(Int(FlowHash.symmetric(frame: frame, metadata: parsed, hasher: hasher) % UInt32(workerCount)))
        }
        if parsed.etherType == EtherType.arp, Int(parsed.l3Offset) + ARPHeader.byteCount <= Int(parsed.length) {
            return ARPHeader(frame + Int(parsed.l3Offset)).operation == ARPHeader.reply ? .everyWorker : .local
        }
        return .local
    }
}
