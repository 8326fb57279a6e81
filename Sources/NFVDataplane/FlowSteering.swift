import NFVCatalog
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
///
/// A chain with a NAT or a load balancer steers IPv4 on their ports by endpoint instead
/// (`WorkerSteering`): the inside endpoint, or the owner of a NAT port.
public enum FlowSteering {
    public enum Target: Equatable, Sendable {
        case local
        case worker(Int)
        case everyWorker
    }

    /// The worker for the frame at `frame` with (unparsed) `metadata`, among `workerCount`;
    /// every worker of a chain passes the same `hasher`.
    ///
    /// With `fragments`, the later fragments of an IPv4 datagram go where its first fragment
    /// went (they carry no ports to steer by): the first records its owner there.
    public static func target(
        frame: UnsafeMutableRawPointer, metadata: PacketMetadata, workerCount: Int,
        hasher: TableHash, rules: WorkerSteering = WorkerSteering(), fragments: FragmentOwners? = nil
    ) -> Target {
        var parsed = metadata
        guard PacketParser.parse(frame, metadata: &parsed) == .none else { return .local }
        guard let fragments, parsed.flags.contains(.fragment), parsed.flags.contains(.ipv4) else {
            return target(parsed: parsed, frame: frame, workerCount: workerCount, hasher: hasher, rules: rules)
        }
        let l3 = Int(parsed.l3Offset)
        let source = frame.loadNetworkUInt32(at: l3 + 12)
        let destination = frame.loadNetworkUInt32(at: l3 + 16)
        let identification = frame.loadNetworkUInt16(at: l3 + 4)
        if parsed.flags.contains(.laterFragment),
            let owner = fragments.owner(source: source, destination: destination, identification: identification, ipProtocol: parsed.ipProtocol)
        {
            return .worker(owner % workerCount)
        }
        let found = target(parsed: parsed, frame: frame, workerCount: workerCount, hasher: hasher, rules: rules)
        if !parsed.flags.contains(.laterFragment), case .worker(let owner) = found {
            fragments.record(source: source, destination: destination, identification: identification, ipProtocol: parsed.ipProtocol, owner: owner)
        }
        return found
    }

    /// The owner of a parsed frame, by its own headers.
    static func target(
        parsed: PacketMetadata, frame: UnsafeMutableRawPointer, workerCount: Int, hasher: TableHash, rules: WorkerSteering
    ) -> Target {
        let flags = parsed.flags
        let side = flags.contains(.ipv4) ? rules.side(ofPort: parsed.inPort) : nil
        if flags.contains(.ipv4) || flags.contains(.ipv6) {
            if flags.contains(.hasL4) {
                let l4 = Int(parsed.l4Offset)
                if parsed.ipProtocol == IPProtocol.icmp || parsed.ipProtocol == IPProtocol.icmpv6 {
                    let type = frame.loadByte(at: l4)
                    let isError = parsed.ipProtocol == IPProtocol.icmp ? ICMPQuote.isErrorV4(type: type) : ICMPQuote.isErrorV6(type: type)
                    if isError {
                        guard let quote = ICMPQuote(frame: frame, metadata: parsed) else { return .local }
                        if let side {
                            // As the quoted packet's answer would come in on this side.
                            return .worker(owner(of: quote.key.reversed, side: side, rules: rules, workerCount: workerCount, hasher: hasher))
                        }
                        return .worker(Int(quote.key.symmetricHash(with: hasher) % UInt32(workerCount)))
                    }
                    // Neighbour discovery (RFC 4861): advertisements and redirects teach every
                    // worker's neighbour table; solicitations are answered where they arrive.
                    if parsed.ipProtocol == IPProtocol.icmpv6, type >= 133, type <= 137 {
                        return type == 134 || type == 136 || type == 137 ? .everyWorker : .local
                    }
                }
            }
            if let side, let key = FlowKey(frame: frame, metadata: parsed) {
                return .worker(owner(of: key, side: side, rules: rules, workerCount: workerCount, hasher: hasher))
            }
            return .worker(Int(FlowHash.symmetric(frame: frame, metadata: parsed, hasher: hasher) % UInt32(workerCount)))
        }
        if parsed.etherType == EtherType.arp, Int(parsed.l3Offset) + ARPHeader.byteCount <= Int(parsed.length) {
            return ARPHeader(frame + Int(parsed.l3Offset)).operation == ARPHeader.reply ? .everyWorker : .local
        }
        return .local
    }

    /// The worker of an IPv4 packet with `key` arriving on a port on `side` (`WorkerSteering`).
    static func owner(of key: FlowKey, side: WorkerSteering.Side, rules: WorkerSteering, workerCount: Int, hasher: TableHash) -> Int {
        let source = key.source.ipv4Mapped?.rawValue ?? 0
        let destination = key.destination.ipv4Mapped?.rawValue ?? 0
        let toNAT = rules.natAddresses.contains(destination)
        switch side {
        case .inside where !toNAT:
            return endpointOwner(source, key.sourcePort, key.ipProtocol, workerCount: workerCount, hasher: hasher)
        case .outside where !toNAT:
            return endpointOwner(destination, key.destinationPort, key.ipProtocol, workerCount: workerCount, hasher: hasher)
        default:
            // To the NAT's own addresses, from either side (an inside host reaching a forward
            // or answering a hairpinned connection is translated twice by the NAT).
            for forward in rules.forwards
            where forward.externalAddress == destination && (forward.ipProtocol == nil || forward.ipProtocol == key.ipProtocol)
                && (forward.externalPort == nil || forward.externalPort == key.destinationPort)
            {
                return endpointOwner(
                    forward.internalAddress, forward.internalPort ?? key.destinationPort, key.ipProtocol,
                    workerCount: workerCount, hasher: hasher)
            }
            // Each worker's NAT hands out the ports (and ICMP identifiers) it owns.
            return Int(key.destinationPort) % workerCount
        }
    }

    /// The worker of an inside endpoint.
    @inline(__always)
    static func endpointOwner(_ address: UInt32, _ port: UInt16, _ ipProtocol: UInt8, workerCount: Int, hasher: TableHash) -> Int {
        Int(hasher.hash(UInt64(address) << 16 | UInt64(port), UInt64(ipProtocol)) % UInt64(workerCount))
    }
}
