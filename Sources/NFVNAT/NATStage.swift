import NFVFlow
import NFVPacket
import NFVPipeline

/// The NAT VNF (NAT44): source NAT / masquerade from an address pool and static forwards.
///
/// Outbound (from the inside port): a packet from an address a source rule covers gets a
/// mapping (inside address:port -> pool address:port) that is endpoint-independent (RFC 4787
/// REQ-1: the same for every destination) and paired (REQ-2: one inside host, one pool
/// address); its source is rewritten. The original port is kept when free, otherwise the next
/// free port of the rule's range (wrapping) is used. ICMP echo identifiers are translated like
/// ports. Inbound (from the outside port): packets to a mapping are translated back, subject to
/// the filtering behaviour; packets to a static forward go to its internal endpoint; ICMP errors
/// about a mapping are translated back including the quoted packet (RFC 5508). Packets between
/// two inside hosts through a public address are hairpinned (REQ-9). All rewrites patch the IP,
/// TCP, UDP and ICMP checksums incrementally (RFC 1624); a UDP checksum of 0 stays 0.
///
/// Drops: `bad_ipv4_checksum` (the IPv4 header checksum is wrong: an incremental update would
/// make a corrupt header look valid; RFC 1812 5.2.2, as Linux drops it in ip_rcv),
/// `nat_ports_exhausted` (no free port, or the mapping table is full: counted, never a
/// reused live mapping; with `unreachableOnExhaustion` the sender also gets an ICMP
/// destination unreachable, code 13), `nat_no_mapping` (inbound to a pool address without a mapping, or
/// refused by address-dependent filtering), `nat_fragment` (a later fragment of a translated
/// host or to a public address that found no room to wait for its first fragment; see
/// `FragmentFollower`: later fragments take their datagram's translation, out-of-order ones wait),
/// `nat_unsupported_protocol` (neither TCP, UDP nor ICMP, from a translated host), and the
/// parser's `truncated_tcp`, `truncated_udp`, `bad_udp_length`, `bad_tcp_data_offset`,
/// `truncated_icmp` for a translated host's packet whose transport header cannot be read.
/// Packets to or from addresses the NAT does not own pass unchanged.
public final class NATStage: FastPathStage, IdleWork {
    public let name: String
    public var kind: String { "nat" }
    public private(set) var configuration: NATConfiguration
    public let counters = NATCounters()

    struct Mapping {
        var insideAddress: UInt32
        var outsideAddress: UInt32
        var expires: UInt64
        var remotes: (UInt32, UInt32, UInt32, UInt32)  // address-dependent filtering: last 4 remotes
        var insidePort: UInt16
        var outsidePort: UInt16
        /// The outside address and port as they lie in the packet (network byte order).
        var outsideAddressWire: UInt32
        var outsidePortWire: UInt16
        /// Precomputed RFC 1624 adjustments for an outbound rewrite, in packet byte order:
        /// IP header (address) and TCP/UDP (address in the pseudo-header and port).
        var ipAdjustmentWire: UInt16
        var transportAdjustmentWire: UInt16
        var ipProtocol: UInt8
        var poolIndex: UInt8
        var remoteCount: UInt8
        var seenInbound: Bool
        var established: Bool
        var used: Bool
        /// Which allocation made the mapping (see `FastPathHandle`).
        var serial: UInt32 = 0
    }

    let insidePort: UInt16
    let outsidePort: UInt16
    let pool: [UInt32]
    var rules: [(prefixes: [IPPrefix], ports: PortRange)]
    var forwards: [NATConfiguration.Forward]
    let mappings: UnsafeMutablePointer<Mapping>
    let byInside: IndexTable
    let byOutside: IndexTable
    var freeSlots: [Int32]
    /// Outside ports per pool address and protocol, found in constant time.
    let ports: NATPortAllocator
    /// Static forwards by external and by internal endpoint (protocol, address, port); a
    /// protocol forward under port 0, a whole-address forward under protocol 0 and port 0:
    /// values index `forwards`.
    var forwardsByExternal: IndexTable
    var forwardsByInternal: IndexTable
    var sweepCursor = 0
    /// Every address the NAT answers for (pool and forward externals), for the hairpin check.
    var ownAddresses: UnsafeMutablePointer<UInt32>
    var ownAddressCount: Int
    var hasForwards: Bool
    let updates = UpdateMailbox<NATConfiguration>()
    /// Mappings made so far (the serial of the last one).
    var mappedCount: UInt32 = 0
    /// Configurations adopted (the fast path's generation).
    var adoptedCount: UInt64 = 0
    public var fastPathLink: FastPathLink?
    /// Later fragments: their datagram's translation, or a wait for it.
    let fragments = FragmentFollower<FragmentTranslation>()

    /// Why a configuration cannot replace the running one without a restart.
    public struct UpdateError: Error, CustomStringConvertible {
        public var description: String
    }
    /// Where the ICMP errors the NAT sends inside come from, when the chain has a router.
    let insideErrorSource: IPv6Address?
    let addressDependent: Bool
    let timeoutUDP: UInt64
    let timeoutEstablished: UInt64
    let timeoutTransitory: UInt64
    let timeoutICMP: UInt64

    /// A NAT stage; `portIndex` maps chain port names to numbers; `routerAddresses` are the
    /// addresses of the chain router's interfaces by chain port name (the source of the ICMP
    /// errors the NAT sends inside). `portShare` is this stage's worker among the chain's: it
    /// hands out only the ports (and ICMP identifiers) that are that worker's, those equal to
    /// its index modulo the worker count, so a reply's port names the worker that mapped it.
    public init(
        name: String, configuration: NATConfiguration, portIndex: [String: UInt16],
        routerAddresses: [String: [IPv6Address]] = [:], portShare: WorkerShare = WorkerShare()
    ) {
        insideErrorSource = routerAddresses[configuration.insidePort]?.first { $0.ipv4Mapped != nil }
        self.name = name
        self.configuration = configuration
        insidePort = portIndex[configuration.insidePort] ?? UInt16.max
        outsidePort = portIndex[configuration.outsidePort] ?? UInt16.max
        pool = configuration.pool.map(\.rawValue)
        rules = configuration.sourceRules.map { ($0.sourcePrefixes, $0.ports) }
        forwards = configuration.forwards
        let capacity = max(configuration.maximumMappings, 1)
        mappings = .allocate(capacity: capacity)
        mappings.initialize(
            repeating: Mapping(
                insideAddress: 0, outsideAddress: 0, expires: 0, remotes: (0, 0, 0, 0),
                insidePort: 0, outsidePort: 0, outsideAddressWire: 0, outsidePortWire: 0,
                ipAdjustmentWire: 0, transportAdjustmentWire: 0, ipProtocol: 0, poolIndex: 0, remoteCount: 0,
                seenInbound: false, established: false, used: false), count: capacity)
        freeSlots = (0..<Int32(capacity)).reversed()
        byInside = IndexTable(capacity: capacity)
        byOutside = IndexTable(capacity: capacity)
        ports = NATPortAllocator(poolCount: pool.count, share: portShare)
        (forwardsByExternal, forwardsByInternal) = Self.index(configuration.forwards)
        let owned = Array(Set(configuration.pool.map(\.rawValue) + configuration.forwards.map(\.externalAddress.rawValue)))
        ownAddresses = .allocate(capacity: max(owned.count, 1))
        ownAddresses.initialize(from: owned, count: owned.count)
        ownAddressCount = owned.count
        hasForwards = !configuration.forwards.isEmpty
        addressDependent = configuration.filtering == .addressDependent
        let second: UInt64 = 1_000_000_000
        timeoutUDP = configuration.timeouts.udp * second
        timeoutEstablished = configuration.timeouts.tcpEstablished * second
        timeoutTransitory = configuration.timeouts.tcpTransitory * second
        timeoutICMP = configuration.timeouts.icmp * second
        reservePorts()
    }

    deinit {
        mappings.deallocate()
        ownAddresses.deallocate()
    }

    /// The forward indexes of `forwards`: by external and by internal endpoint.
    static func index(_ forwards: [NATConfiguration.Forward]) -> (IndexTable, IndexTable) {
        let external = IndexTable(capacity: max(forwards.count, 1))
        let internalSide = IndexTable(capacity: max(forwards.count, 1))
        for (index, forward) in forwards.enumerated().reversed() {  // the first of duplicates wins
            let ipProtocol = forward.ipProtocol ?? 0
            external.insert(key(ipProtocol, forward.externalAddress.rawValue, forward.externalPort ?? 0), 0, value: Int32(index))
            internalSide.insert(key(ipProtocol, forward.internalAddress.rawValue, forward.internalPort ?? 0), 0, value: Int32(index))
        }
        return (external, internalSide)
    }

    /// Mappings in use.
    public var mappingCount: Int { byInside.count }

    /// Why `new` cannot replace `old` in a running stage, or nil when it can: source rules
    /// (which inside prefixes are translated, from which port ranges) and static forwards change
    /// live; the pool, ports, filtering, hairpinning, table size and timeouts need a new stage.
    public static func liveUpdateProblem(from old: NATConfiguration, to new: NATConfiguration) -> String? {
        var shape = new
        shape.sourceRules = old.sourceRules
        shape.forwards = old.forwards
        guard shape != old else { return nil }
        if new.pool != old.pool { return "the address pool changed (port allocation is laid out per pool address)" }
        return "ports, filtering, hairpinning, the mapping table size, timeouts or exhaustion handling changed"
    }

    /// Replaces the source rules and static forwards (thread-safe; applied before the next
    /// batch). Existing mappings keep their translation until they expire, as conntrack entries
    /// outlive a changed nftables rule; new flows follow the new rules.
    public func update(to newConfiguration: NATConfiguration) throws(UpdateError) {
        if let problem = Self.liveUpdateProblem(from: configuration, to: newConfiguration) { throw UpdateError(description: problem) }
        updates.post(newConfiguration)
    }

    /// Live updates applied so far.
    public var updateCount: Int { updates.takenCount.load(ordering: .relaxed) }

    func adopt(_ new: NATConfiguration) {
        rules = new.sourceRules.map { ($0.sourcePrefixes, $0.ports) }
        forwards = new.forwards
        let owned = Array(Set(new.pool.map(\.rawValue) + new.forwards.map(\.externalAddress.rawValue)))
        let fresh = UnsafeMutablePointer<UInt32>.allocate(capacity: max(owned.count, 1))
        fresh.initialize(from: owned, count: owned.count)
        ownAddresses.deallocate()
        ownAddresses = fresh
        ownAddressCount = owned.count
        hasForwards = !new.forwards.isEmpty
        (forwardsByExternal, forwardsByInternal) = Self.index(new.forwards)
        configuration = new
        reservePorts()
        adoptedCount &+= 1
    }

    /// Takes posted rules and forwards while no packet comes.
    public func idle(now: UInt64) {
        if let new = updates.take() { adopt(new) }
    }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        if let new = updates.take() { adopt(new) }
        // Two copies of the loop: without a fast path, not even a test per packet for noting.
        if let link = fastPathLink {
            translate(batch, emit: emit, noting: link)
        } else {
            translate(batch, emit: emit, noting: FastPathOff())
        }
    }

    @inline(__always)
    func translate<Noting: FastPathNoting>(_ batch: PacketBatch, emit: PacketBatch, noting: Noting) {
        let count = batch.count
        guard count > 0 else { return }
        let inPort = batch.metadata[0].inPort
        let outbound = inPort == insidePort
        guard outbound || inPort == outsidePort else { return }
        let metadata = batch.metadata
        let pool = batch.pool
        for index in 0..<count {
            let packet = metadata + index
            let flags = packet.pointee.flags
            guard flags.contains(.ipv4) else {  // NAT44: everything else passes
                if Noting.isNoting { noting.link.note(packet.pointee, noting.link.pass) }
                continue
            }
            let frame = pool.slot(packet.pointee.id) + Int(packet.pointee.dataOffset)
            guard packet.pointee.hasValidIPv4HeaderChecksum(frame) else {
                batch.drop(index, reason: .badIPv4Checksum)
                continue
            }
            if flags.contains(.fragment) {
                translateFragment(index, packet: packet, frame: frame, batch: batch, emit: emit, outbound: outbound)
            } else if outbound {
                translateOutbound(index, packet: packet, frame: frame, batch: batch, emit: emit, noting: noting)
            } else {
                translateInbound(index, packet: packet, frame: frame, batch: batch, noting: noting)
            }
        }
        let now = batch.metadata[count - 1].timestamp
        sweep(now: now)
        if fragments.isActive { fragments.sweep(now: now, pool: pool) }
    }

    /// Later fragments translated after their first fragment, held for it, let go when it
    /// came, given up on after the timeout, and refused for want of room.
    public var fragmentCounts: (translated: UInt64, held: UInt64, released: UInt64, expired: UInt64, refused: UInt64) {
        (fragments.followed, fragments.heldTotal, fragments.released, fragments.expired, fragments.refused)
    }

    /// What a datagram's first fragment was translated to: the address its later fragments
    /// get, as their new source (outbound) or destination (inbound).
    struct FragmentTranslation {
        var address: UInt32
        var rewritesSource: Bool
    }

    /// Replaces the source or destination address of a later fragment's IPv4 header at `l3`,
    /// with the header checksum patched (RFC 1624); a later fragment carries no transport
    /// checksum.
    static func rewrite(_ l3: UnsafeMutableRawPointer, _ packet: PacketMetadata, _ translation: FragmentTranslation) {
        let offset = translation.rewritesSource ? 12 : 16
        let old = l3.loadNetworkUInt32(at: offset)
        l3.storeNetworkUInt32(translation.address, at: offset)
        let ip = IPv4Header(l3)
        ip.checksum = InternetChecksum.updated(ip.checksum, old: old, new: translation.address)
    }

    /// A fragment (RFC 4787 REQ-14): a first fragment is translated like a whole packet and its
    /// translation remembered for its datagram; a later one takes that translation, or waits.
    @inline(never)
    func translateFragment(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        batch: PacketBatch, emit: PacketBatch, outbound: Bool
    ) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let now = packet.pointee.timestamp
        let addressOffset = outbound ? 12 : 16
        if packet.pointee.flags.contains(.laterFragment) {
            let translated = outbound ? ownsTranslation(of: l3.loadNetworkUInt32(at: 12)) : isOwn(l3.loadNetworkUInt32(at: 16))
            if translated {
                _ = fragments.laterFragment(index, batch: batch, l3: l3, now: now, refusal: .natFragment, apply: Self.rewrite)
            }
            return
        }
        let key = FragmentFollower<FragmentTranslation>.key(l3)
        let before = l3.loadNetworkUInt32(at: addressOffset)
        if outbound {
            translateOutboundSlowly(index, packet: packet, frame: frame, batch: batch, emit: emit, noting: FastPathOff())
        } else {
            translateInbound(index, packet: packet, frame: frame, batch: batch, noting: FastPathOff())
        }
        let after = l3.loadNetworkUInt32(at: addressOffset)
        guard packet.pointee.verdict == .forward, after != before else { return }
        fragments.firstFragmentDecided(
            key, decision: FragmentTranslation(address: after, rewritesSource: outbound), now: now, pool: batch.pool,
            emit: emit, apply: Self.rewrite)
    }

    // MARK: Packet fields

    /// The transport identifier of a packet: ports, or the ICMP query identifier (as both).
    struct Endpoints {
        var ipProtocol: UInt8
        var sourcePort: UInt16
        var destinationPort: UInt16
        var isICMPQuery: Bool
        var isICMPError: Bool
    }

    @inline(__always)
    func endpoints(_ packet: PacketMetadata, frame: UnsafeMutableRawPointer) -> Endpoints? {
        let l4 = Int(packet.l4Offset)
        switch packet.ipProtocol {
        case IPProtocol.tcp, IPProtocol.udp:
            return Endpoints(
                ipProtocol: packet.ipProtocol, sourcePort: frame.loadNetworkUInt16(at: l4),
                destinationPort: frame.loadNetworkUInt16(at: l4 + 2), isICMPQuery: false, isICMPError: false)
        case IPProtocol.icmp:
            let type = frame.loadByte(at: l4)
            if ICMPHeader.isQueryV4(type: type) {
                let identifier = frame.loadNetworkUInt16(at: l4 + 4)
                return Endpoints(
                    ipProtocol: IPProtocol.icmp, sourcePort: identifier, destinationPort: identifier,
                    isICMPQuery: true, isICMPError: false)
            }
            return Endpoints(
                ipProtocol: IPProtocol.icmp, sourcePort: 0, destinationPort: 0, isICMPQuery: false,
                isICMPError: ICMPQuote.isErrorV4(type: type))
        default:
            return nil
        }
    }

    static func key(_ ipProtocol: UInt8, _ address: UInt32, _ port: UInt16) -> UInt64 {
        UInt64(ipProtocol) << 48 | UInt64(port) << 32 | UInt64(address)
    }

    static func protocolIndex(_ ipProtocol: UInt8) -> Int {
        ipProtocol == IPProtocol.tcp ? 0 : ipProtocol == IPProtocol.udp ? 1 : 2
    }

    // MARK: Outbound

    @inline(__always)
    func translateOutbound<Noting: FastPathNoting>(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        batch: PacketBatch, emit: PacketBatch, noting: Noting
    ) {
        // The common case, a live mapping of this TCP/UDP endpoint, stays inline.
        let flags = packet.pointee.flags
        let ipProtocol = packet.pointee.ipProtocol
        if flags.rawValue & (PacketFlags.hasL4.rawValue | PacketFlags.laterFragment.rawValue) == PacketFlags.hasL4.rawValue,
            ipProtocol == IPProtocol.tcp || ipProtocol == IPProtocol.udp
        {
            let l3 = frame + Int(packet.pointee.l3Offset)
            let l4 = frame + Int(packet.pointee.l4Offset)
            let source = l3.loadNetworkUInt32(at: 12)
            let sourcePort = l4.loadNetworkUInt16(at: 0)
            let now = packet.pointee.timestamp
            if let found = byInside.find(Self.key(ipProtocol, source, sourcePort), 0) {
                let entry = mappings + Int(found)
                if entry.pointee.expires > now {
                    let destination = l3.loadNetworkUInt32(at: 16)
                    if addressDependent { remember(remote: destination, in: entry) }
                    refresh(entry, packet: packet.pointee, frame: frame, outbound: true, now: now)
                    // Rewrite with the mapping's precomputed adjustments, in packet byte order
                    // (ones'-complement sums do not care about byte order, RFC 1071 2(B)).
                    EndpointRewrite.rewrite(
                        .source, of: frame, packet: packet.pointee, isUDP: ipProtocol == IPProtocol.udp,
                        addressWire: entry.pointee.outsideAddressWire, portWire: entry.pointee.outsidePortWire,
                        ipAdjustment: entry.pointee.ipAdjustmentWire,
                        transportAdjustment: entry.pointee.transportAdjustmentWire)
                    if ownAddressCount > 0 && isOwn(destination) {
                        hairpinIfNeeded(index, packet: packet, frame: frame, batch: batch, now: now)
                    } else {
                        if Noting.isNoting { note(noting.link, packet.pointee, entry, outbound: true) }
                    }
                    return
                }
            }
        }
        translateOutboundSlowly(index, packet: packet, frame: frame, batch: batch, emit: emit, noting: noting)
    }

    /// Everything but a live TCP/UDP mapping: ICMP, static forwards, new mappings, fragments.
    @inline(never)
    func translateOutboundSlowly<Noting: FastPathNoting>(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        batch: PacketBatch, emit: PacketBatch, noting: Noting
    ) {
        let flags = packet.pointee.flags
        let l3 = frame + Int(packet.pointee.l3Offset)
        let ip = IPv4Header(l3)
        let source = ip.source.rawValue
        let now = packet.pointee.timestamp
        guard flags.contains(.hasL4), let ends = endpoints(packet.pointee, frame: frame) else {
            if ownsTranslation(of: source) {
                let problem = packet.pointee.transportProblem
                batch.drop(index, reason: problem == .none ? .natUnsupportedProtocol : problem)
            }
            return
        }
        if ends.isICMPError { return }  // errors from inside hosts pass (their quote names inside addresses)
        // The common case: a live mapping of this endpoint.
        if let found = byInside.find(Self.key(ends.ipProtocol, source, ends.sourcePort), 0) {
            let entry = mappings + Int(found)
            if entry.pointee.expires > now {
                if addressDependent { remember(remote: ip.destination.rawValue, in: entry) }
                refresh(entry, packet: packet.pointee, frame: frame, outbound: true, now: now)
                rewriteSource(
                    frame: frame, packet: packet.pointee, ends: ends, address: entry.pointee.outsideAddress,
                    port: entry.pointee.outsidePort)
                if ownAddressCount > 0 && isOwn(ip.destination.rawValue) {
                    hairpinIfNeeded(index, packet: packet, frame: frame, batch: batch, now: now)
                } else {
                    if Noting.isNoting { note(noting.link, packet.pointee, entry, outbound: true) }
                }
                return
            }
        }
        // Replies of a static forward leave from its external endpoint.
        if hasForwards, let forward = forwardFor(internal: source, port: ends.sourcePort, ipProtocol: ends.ipProtocol) {
            rewriteSource(
                frame: frame, packet: packet.pointee, ends: ends, address: forward.externalAddress.rawValue,
                port: forward.externalPort ?? ends.sourcePort)
            if Noting.isNoting, !isOwn(ip.destination.rawValue) { noting.link.note(packet.pointee, noting.link.pass) }
            hairpinIfNeeded(index, packet: packet, frame: frame, batch: batch, now: now)
            return
        }
        guard let rule = rules.firstIndex(where: { $0.prefixes.contains { $0.contains(IPv6Address(ipv4Mapped: IPv4Address(rawValue: source))) } })
        else {
            // Covered by no rule: passes while the rules stay (a mapping never starts here).
            if Noting.isNoting, !isOwn(ip.destination.rawValue) { noting.link.note(packet.pointee, noting.link.pass) }
            hairpinIfNeeded(index, packet: packet, frame: frame, batch: batch, now: now)
            return
        }
        let slot = mapping(for: source, port: ends.sourcePort, ipProtocol: ends.ipProtocol, rule: rule, now: now)
        guard slot >= 0 else {
            counters.count(2)
            batch.drop(index, reason: .natPortsExhausted)
            if configuration.unreachableOnExhaustion {
                tellSenderProhibited(packet.pointee, frame: frame, poolIndex: poolIndex(of: source), emit: emit)
            }
            return
        }
        let entry = mappings + slot
        let destination = ip.destination.rawValue
        remember(remote: destination, in: entry)
        refresh(entry, packet: packet.pointee, frame: frame, outbound: true, now: now)
        rewriteSource(
            frame: frame, packet: packet.pointee, ends: ends, address: entry.pointee.outsideAddress,
            port: entry.pointee.outsidePort)
        if Noting.isNoting, !isOwn(destination) { note(noting.link, packet.pointee, entry, outbound: true) }
        hairpinIfNeeded(index, packet: packet, frame: frame, batch: batch, now: now)
    }

    @inline(__always)
    func isOwn(_ address: UInt32) -> Bool {
        for index in 0..<ownAddressCount where ownAddresses[index] == address { return true }
        return false
    }

    /// True when `address` is an inside address the NAT translates (a rule or forward covers it).
    func ownsTranslation(of address: UInt32) -> Bool {
        let mapped = IPv6Address(ipv4Mapped: IPv4Address(rawValue: address))
        return rules.contains { $0.prefixes.contains { $0.contains(mapped) } } || forwards.contains { $0.internalAddress.rawValue == address }
    }

    /// The forward of an internal endpoint: a port forward of its protocol and port, else a
    /// forward of its protocol, else a forward of its whole address.
    @inline(__always)
    func forwardFor(internal address: UInt32, port: UInt16, ipProtocol: UInt8) -> NATConfiguration.Forward? {
        Self.forward(in: forwardsByInternal, address: address, port: port, ipProtocol: ipProtocol).map { forwards[$0] }
    }

    /// The forward of an external endpoint, in the same order.
    @inline(__always)
    func forwardFor(external address: UInt32, port: UInt16, ipProtocol: UInt8) -> NATConfiguration.Forward? {
        Self.forward(in: forwardsByExternal, address: address, port: port, ipProtocol: ipProtocol).map { forwards[$0] }
    }

    @inline(__always)
    static func forward(in index: IndexTable, address: UInt32, port: UInt16, ipProtocol: UInt8) -> Int? {
        guard
            let found = index.find(key(ipProtocol, address, port), 0) ?? index.find(key(ipProtocol, address, 0), 0)
                ?? index.find(key(0, address, 0), 0)
        else { return nil }
        return Int(found)
    }

    // MARK: Rewriting

    @inline(__always)
    func rewriteSource(frame: UnsafeMutableRawPointer, packet: PacketMetadata, ends: Endpoints, address: UInt32, port: UInt16) {
        EndpointRewrite.rewrite(.source, of: frame, packet: packet, ipProtocol: ends.ipProtocol, address: address, port: port)
    }

    @inline(__always)
    func rewriteDestination(frame: UnsafeMutableRawPointer, packet: PacketMetadata, ends: Endpoints, address: UInt32, port: UInt16) {
        EndpointRewrite.rewrite(.destination, of: frame, packet: packet, ipProtocol: ends.ipProtocol, address: address, port: port)
    }
}
