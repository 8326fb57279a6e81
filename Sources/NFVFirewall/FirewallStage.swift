import NFVFlow
import NFVPacket
import NFVPipeline

/// The firewall VNF: ordered first-match rules with a default action, optionally stateful.
///
/// Stateful: a packet of a tracked connection passes on the connection's remembered verdict
/// without rule evaluation, in both directions; an ICMP error quoting a tracked connection
/// passes as RELATED; only a connection's first packet is evaluated against the rules, and an
/// allowed one starts a tracked connection. A later IPv4 fragment (no ports to judge) passes
/// when its datagram's first fragment passed and waits for it when it has not come yet, as
/// Linux's defragmentation before conntrack has it (`FragmentFollower`); a datagram whose first
/// fragment never passes loses its later fragments after 30 s.
///
/// Drops: `firewall_rule` (a drop rule matched), `firewall_default` (no rule matched, default
/// drop), `firewall_reject` (a reject rule matched; the sender gets a TCP RST from the address
/// it tried to reach, as Linux's nf_send_reset, or an ICMP / ICMPv6 port unreachable from
/// `rejectFrom`, else the chain router's interface on the way back (RFC 1812 4.3.2.4), else, in
/// a chain without a router, the address it tried to reach, as Linux's bridge reject), `conntrack_invalid` (the
/// packet does not fit its connection's state, or cannot open one: a TCP segment other than a
/// SYN, an unsolicited ICMP echo reply), `conntrack_table_full` (a new connection could not be
/// tracked), and the parser's `truncated_tcp`, `truncated_udp`, `bad_udp_length`,
/// `bad_tcp_data_offset`, `truncated_icmp`, `truncated_icmpv6` for a packet (often a tiny first
/// fragment, RFC 1858) whose transport header cannot be read: its ports cannot be judged;
/// `not_parsed` (the frame did not pass the chain's parse stage: nothing to judge it by),
/// `firewall_fragment` (a later fragment found no room to wait for its first fragment).
///
/// Live updates: `update(to:)` (any thread) builds the new rule set off the data path and the
/// stage swaps it in before its next batch. Tracked connections keep their state and keep
/// passing; the new rules judge new connections. Rule hit counters carry over for rules that
/// keep their name.
public final class FirewallStage: FastPathStage, IdleWork {
    public let name: String
    public var kind: String { "firewall" }
    /// The configuration the stage runs.
    public private(set) var configuration: FirewallConfiguration
    /// The connection table (stateful only).
    public let tracker: ConnectionTracker?
    /// Rule hit counters.
    public private(set) var counters: FirewallCounters
    var ruleSet: FirewallRuleSet
    var actions: [FirewallAction]
    var defaultAction: FirewallAction
    let portIndex: [String: UInt16]
    /// Addresses of the chain router's interfaces by chain port name.
    let routerAddresses: [String: [IPv6Address]]
    /// Per chain port number: the IPv4 and IPv6 source of the ICMP errors `reject` sends back
    /// out of that port (nil: the blocked destination).
    var rejectSources: [(ipv4: IPv6Address?, ipv6: IPv6Address?)]
    let updates = UpdateMailbox<RuleTables>()
    /// Later IPv4 fragments: the rule their datagram's first fragment passed under, or a wait
    /// for it (stateful only).
    let fragments = FragmentFollower<UInt16>()
    /// Rule sets adopted (the fast path's generation).
    var adoptedCount: UInt64 = 0
    public var fastPathLink: FastPathLink?

    /// What a live update swaps in.
    struct RuleTables: @unchecked Sendable {
        var configuration: FirewallConfiguration
        var ruleSet: FirewallRuleSet
    }

    /// Why a configuration cannot replace the running one without a restart.
    public struct UpdateError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A firewall stage called `name`; `portIndex` maps the chain's port names to numbers;
    /// `routerAddresses` are the addresses of the chain router's interfaces by chain port name
    /// (where a reject's ICMP error comes from when the configuration names no address).
    public init(
        name: String, configuration: FirewallConfiguration, portIndex: [String: UInt16],
        routerAddresses: [String: [IPv6Address]] = [:]
    ) {
        self.name = name
        self.configuration = configuration
        self.tracker = configuration.stateful ? ConnectionTracker(capacity: configuration.connectionCapacity) : nil
        self.counters = FirewallCounters(ruleCount: configuration.rules.count)
        self.ruleSet = FirewallRuleSet(rules: configuration.rules, portIndex: portIndex)
        self.actions = configuration.rules.map(\.action)
        self.defaultAction = configuration.defaultAction
        self.portIndex = portIndex
        self.routerAddresses = routerAddresses
        self.rejectSources = Self.rejectSources(configuration, portIndex: portIndex, routerAddresses: routerAddresses)
    }

    /// The source addresses of reject's ICMP errors per chain port number.
    static func rejectSources(
        _ configuration: FirewallConfiguration, portIndex: [String: UInt16],
        routerAddresses: [String: [IPv6Address]]
    ) -> [(ipv4: IPv6Address?, ipv6: IPv6Address?)] {
        func first(_ addresses: [IPv6Address], ipv4: Bool) -> IPv6Address? {
            addresses.first { ($0.ipv4Mapped != nil) == ipv4 }
        }
        var sources = [(ipv4: IPv6Address?, ipv6: IPv6Address?)](repeating: (nil, nil), count: Int(portIndex.values.max() ?? 0) + 1)
        for (port, number) in portIndex {
            let interface = routerAddresses[port] ?? []
            sources[Int(number)] = (
                first(configuration.rejectFrom, ipv4: true) ?? first(interface, ipv4: true),
                first(configuration.rejectFrom, ipv4: false) ?? first(interface, ipv4: false)
            )
        }
        return sources
    }

    /// Replaces the rules, the default action and the rule names (thread-safe; applied before
    /// the next batch). Changing `stateful` or the connection capacity needs a new stage.
    public func update(to newConfiguration: FirewallConfiguration) throws(UpdateError) {
        if let problem = Self.liveUpdateProblem(from: configuration, to: newConfiguration) {
            throw UpdateError(description: problem)
        }
        updates.post(
            RuleTables(
                configuration: newConfiguration,
                ruleSet: FirewallRuleSet(rules: newConfiguration.rules, portIndex: portIndex)))
    }

    /// Why `new` cannot replace `old` in a running stage, or nil when it can: the rules, their
    /// names and the default action can change live; `stateful` and the connection capacity
    /// shape the connection table and need a new stage.
    public static func liveUpdateProblem(from old: FirewallConfiguration, to new: FirewallConfiguration) -> String? {
        if new.stateful != old.stateful {
            return "stateful: \(old.stateful) -> \(new.stateful) changes the connection table"
        }
        if new.connectionCapacity != old.connectionCapacity {
            return "connections.capacity: \(old.connectionCapacity) -> \(new.connectionCapacity) resizes the connection table"
        }
        return nil
    }

    /// Live updates applied so far.
    public var updateCount: Int { updates.takenCount.load(ordering: .relaxed) }

    /// Swaps in a posted rule set (between batches, on the data-path thread). Counters move
    /// with their rule's name; each tracked connection's counter slot is renumbered in one pass
    /// over the table (it names the rule that allowed it; a removed rule's connections count in
    /// `retiredHits`), so a shorter rule list can never be indexed past its end.
    func adopt(_ tables: RuleTables) {
        let old = counters
        let newCounters = FirewallCounters(ruleCount: tables.configuration.rules.count)
        let newIndex = Dictionary(tables.configuration.rules.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        // Old slot -> new slot: rules by name, then default, related/replies, retired.
        var slotMap = configuration.rules.map { newIndex[$0.name] ?? newCounters.retiredSlot }
        slotMap += [newCounters.ruleCount, newCounters.ruleCount + 1, newCounters.retiredSlot]
        for (oldSlot, newSlot) in slotMap.enumerated() {
            newCounters.storage[2 * newSlot] &+= old.storage[2 * oldSlot]
            newCounters.storage[2 * newSlot + 1] &+= old.storage[2 * oldSlot + 1]
        }
        if let tracker {
            let entries = tracker.entries
            for slot in 0..<tracker.slotCount where entries[slot].isOccupied {
                let oldSlot = Int(entries[slot].ruleNumber)
                entries[slot].ruleNumber = UInt16(truncatingIfNeeded: oldSlot < slotMap.count ? slotMap[oldSlot] : newCounters.retiredSlot)
            }
        }
        counters = newCounters
        adoptedCount &+= 1
        configuration = tables.configuration
        ruleSet = tables.ruleSet
        actions = tables.configuration.rules.map(\.action)
        defaultAction = tables.configuration.defaultAction
        rejectSources = Self.rejectSources(tables.configuration, portIndex: portIndex, routerAddresses: routerAddresses)
    }

    /// Takes a posted rule set while no packet comes.
    public func idle(now: UInt64) {
        if let tables = updates.take() { adopt(tables) }
    }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        if let tables = updates.take() { adopt(tables) }
        guard let tracker else {
            for index in 0..<batch.count {
                let entry = batch.metadata[index]
                guard entry.flags.contains(.parsed) else {
                    batch.drop(index, reason: .notParsed)
                    continue
                }
                guard entry.transportProblem == .none else {
                    batch.drop(index, reason: entry.transportProblem)
                    continue
                }
                applyRules(index, frame: batch.pool.slot(entry.id) + Int(entry.dataOffset), entry: entry, batch: batch, emit: emit)
            }
            return
        }
        // Two copies of the loop: without a fast path, not even a test per packet for noting.
        if let link = fastPathLink {
            processStateful(batch, emit: emit, tracker: tracker, noting: link)
        } else {
            processStateful(batch, emit: emit, tracker: tracker, noting: FastPathOff())
        }
    }

    @inline(__always)
    func processStateful<Noting: FastPathNoting>(_ batch: PacketBatch, emit: PacketBatch, tracker: ConnectionTracker, noting: Noting) {
        let metadata = batch.metadata
        let pool = batch.pool
        let hits = counters.storage
        let entries = tracker.entries
        var latest: UInt64 = 0
        for index in 0..<batch.count {
            let packet = metadata + index
            let frame = pool.slot(packet.pointee.id) + Int(packet.pointee.dataOffset)
            let now = packet.pointee.timestamp
            latest = max(latest, now)
            guard packet.pointee.flags.contains(.parsed) else {
                batch.drop(index, reason: .notParsed)
                continue
            }
            if packet.pointee.flags.rawValue & Self.laterIPv4Fragment == Self.laterIPv4Fragment {
                followFirstFragment(index, packet: packet.pointee, frame: frame, batch: batch)
                continue
            }
            guard let key = TrackingKey(frame: frame, metadata: UnsafePointer(packet)) else {
                applyRules(index, frame: frame, entry: packet.pointee, batch: batch, emit: emit)
                continue
            }
            let slot = tracker.find(key, now: now)
            guard slot >= 0 else {
                admitNew(index, frame: frame, entry: packet.pointee, batch: batch, emit: emit, tracker: tracker)
                continue
            }
            let tcpFlags =
                key.ipProtocol == IPProtocol.tcp
                ? TCPFlags(rawValue: frame.loadByte(at: Int(packet.pointee.l4Offset) &+ 13)) : []
            if tracker.update(slot, key: key, tcpFlags: tcpFlags, now: now) {
                // The connection remembers the counter of the rule (or default) that allowed it.
                let counter = 2 &* Int(entries[slot].ruleNumber)
                hits[counter] &+= 1
                hits[counter &+ 1] &+= UInt64(packet.pointee.length)
                if packet.pointee.flags.contains(.fragment) {
                    firstFragmentPassed(packet.pointee, frame: frame, rule: entries[slot].ruleNumber, pool: pool, emit: emit)
                }
                if Noting.isNoting { note(noting.link, packet.pointee, slot: slot, tracker: tracker) }
            } else {
                batch.drop(index, reason: .conntrackInvalid)
            }
        }
        tracker.sweep(now: latest, slotBudget: 64)
        if fragments.isActive { fragments.sweep(now: latest, pool: pool) }
    }

    /// `parsed | ipv4 | laterFragment`: an IPv4 fragment other than the first.
    static let laterIPv4Fragment = PacketFlags.parsed.rawValue | PacketFlags.ipv4.rawValue | PacketFlags.laterFragment.rawValue

    /// A later IPv4 fragment carries no ports: it passes when its datagram's first fragment
    /// passed, counted under the same rule, and waits for it when it has not come yet
    /// (`FragmentFollower`), as the kernel's defragmentation makes conntrack see whole datagrams.
    @inline(never)
    func followFirstFragment(_ index: Int, packet: PacketMetadata, frame: UnsafeMutableRawPointer, batch: PacketBatch) {
        _ = fragments.laterFragment(
            index, batch: batch, l3: frame + Int(packet.l3Offset), now: packet.timestamp, refusal: .firewallFragment,
            apply: countFragment)
    }

    /// Remembers that a first IPv4 fragment passed under `rule`, and lets the later fragments
    /// that waited for it go on.
    @inline(never)
    func firstFragmentPassed(_ packet: PacketMetadata, frame: UnsafeMutableRawPointer, rule: UInt16, pool: PacketPool, emit: PacketBatch) {
        guard packet.flags.contains(.ipv4) else { return }
        fragments.firstFragmentDecided(
            FragmentFollower<UInt16>.key(frame + Int(packet.l3Offset)), decision: rule, now: packet.timestamp, pool: pool,
            emit: emit, apply: countFragment)
    }

    /// Counts a later fragment under the rule (counter slot) that let its datagram through.
    /// A rule set swapped in meanwhile may be shorter: such a fragment counts as retired.
    func countFragment(_ l3: UnsafeMutableRawPointer, _ packet: PacketMetadata, _ rule: UInt16) {
        let slot = min(Int(rule), counters.retiredSlot)
        counters.storage[2 &* slot] &+= 1
        counters.storage[2 &* slot &+ 1] &+= UInt64(packet.length)
    }

    /// A packet without a tracked connection: RELATED, INVALID, or a new connection judged by
    /// the rules.
    @inline(never)
    func admitNew(
        _ index: Int, frame: UnsafeMutableRawPointer, entry: PacketMetadata,
        batch: PacketBatch, emit: PacketBatch, tracker: ConnectionTracker
    ) {
        let now = entry.timestamp
        let byteCount = Int(entry.length)
        // A first fragment or packet whose transport header is cut short: its ports cannot be
        // judged (RFC 1858's tiny fragments), so it is dropped with the parser's reason.
        guard entry.transportProblem == .none else {
            batch.drop(index, reason: entry.transportProblem)
            return
        }
        guard let key = TrackingKey(frame: frame, metadata: entry) else { return }
        let tcpFlags =
            entry.ipProtocol == IPProtocol.tcp && entry.flags.contains(.hasL4)
            ? TCPFlags(rawValue: frame.loadByte(at: Int(entry.l4Offset) &+ 13)) : []
        if let quote = ICMPQuote(frame: frame, metadata: entry),
            tracker.find(TrackingKey(quote.key), now: now) >= 0
        {
            counters.countRelated()
            return
        }
        // Not part of a tracked connection. Like netfilter, classify before any rule sees
        // it: packets that cannot open a connection are INVALID; messages that are not
        // part of any connection (IPv6 neighbour discovery, router advertisements) are
        // judged by the rules alone.
        let packet = FirewallPacket(frame: frame, metadata: entry)
        let opening: ConnectionState
        switch Self.admission(packet, tcpFlags: tcpFlags) {
        case .opens(let state):
            opening = state
        case .untracked:
            applyRules(index, frame: frame, entry: entry, batch: batch, emit: emit)
            return
        case .invalid:
            tracker.counters.invalid &+= 1
            batch.drop(index, reason: .conntrackInvalid)
            return
        }
        let match = ruleSet.firstMatch(packet)
        let action = match >= 0 ? actions[match] : defaultAction
        counters.hit(match >= 0 ? match : counters.ruleCount, byteCount: byteCount)
        switch action {
        case .allow:
            let created = tracker.insert(key, state: opening, now: now)
            if created < 0 {
                batch.drop(index, reason: .conntrackTableFull)
            } else {
                tracker.entries[created].ruleNumber = UInt16(truncatingIfNeeded: match >= 0 ? match : counters.ruleCount)
                if entry.flags.contains(.fragment) {
                    firstFragmentPassed(entry, frame: frame, rule: tracker.entries[created].ruleNumber, pool: batch.pool, emit: emit)
                }
                // A datagram's first packet already leaves its connection steady.
                if let link = fastPathLink { note(link, entry, slot: created, tracker: tracker) }
            }
        case .drop:
            batch.drop(index, reason: match >= 0 ? .firewallRule : .firewallDefault)
        case .reject:
            reject(index, frame: frame, entry: entry, batch: batch, emit: emit)
        }
    }

    /// How a packet without a tracked connection is treated.
    enum Admission {
        /// It may open a connection that starts in this state.
        case opens(ConnectionState)
        /// It belongs to no connection; the rules alone decide.
        case untracked
        /// It claims a connection that does not exist (a TCP segment other than a SYN, a
        /// query reply, an ICMP error quoting nothing tracked).
        case invalid
    }

    static func admission(_ packet: FirewallPacket, tcpFlags: TCPFlags) -> Admission {
        switch packet.ipProtocol {
        case IPProtocol.tcp:
            return TCPStateMachine.opens(tcpFlags) ? .opens(.tcpSynSent) : .invalid
        case IPProtocol.udp, IPProtocol.udpLite:
            return .opens(.udpUnreplied)
        case IPProtocol.icmp:
            guard packet.hasICMP else { return .invalid }
            switch packet.icmpType {
            case 8, 13, 15, 17: return .opens(.icmpRequested)
            case 0, 14, 16, 18, 3, 4, 5, 11, 12: return .invalid
            default: return .untracked
            }
        case IPProtocol.icmpv6:
            guard packet.hasICMP else { return .invalid }
            switch packet.icmpType {
            case ICMPHeader.echoRequestV6: return .opens(.icmpRequested)
            case ICMPHeader.echoReplyV6, 1, 2, 3, 4: return .invalid
            default: return .untracked
            }
        default:
            return .opens(.otherUnreplied)
        }
    }

    /// Stateless evaluation (stateless mode, non-IP frames, non-first fragments).
    func applyRules(_ index: Int, frame: UnsafeMutableRawPointer, entry: PacketMetadata, batch: PacketBatch, emit: PacketBatch) {
        let match = ruleSet.firstMatch(FirewallPacket(frame: frame, metadata: entry))
        counters.hit(match >= 0 ? match : counters.ruleCount, byteCount: Int(entry.length))
        switch match >= 0 ? actions[match] : defaultAction {
        case .allow: break
        case .drop: batch.drop(index, reason: match >= 0 ? .firewallRule : .firewallDefault)
        case .reject: reject(index, frame: frame, entry: entry, batch: batch, emit: emit)
        }
    }

    /// Drops the packet and sends the sender a TCP RST or an ICMP port unreachable.
    func reject(_ index: Int, frame: UnsafeMutableRawPointer, entry: PacketMetadata, batch: PacketBatch, emit: PacketBatch) {
        batch.drop(index, reason: .firewallReject)
        let flags = entry.flags
        guard flags.contains(.ipv4) || flags.contains(.ipv6) else { return }
        let result = emit.appendGenerated(outPort: entry.inPort, timestamp: entry.timestamp) { output in
            if entry.ipProtocol == IPProtocol.tcp && flags.contains(.hasL4) {
                return ReplyBuilder.tcpReset(original: frame, metadata: entry, output: output)
            }
            let l3 = frame + Int(entry.l3Offset)
            let isIPv4 = flags.contains(.ipv4)
            let port = Int(entry.inPort)
            let configured = port < rejectSources.count ? (isIPv4 ? rejectSources[port].ipv4 : rejectSources[port].ipv6) : nil
            let source =
                configured
                ?? (isIPv4 ? IPv6Address(ipv4Mapped: IPv4Header(l3).destination) : IPv6Header(l3).destination)
            return ReplyBuilder.icmpError(
                type: isIPv4 ? 3 : 1, code: isIPv4 ? 3 : 4, source: source,
                original: frame, metadata: entry, output: output)
        }
        if result == .noBuffer { counters.countReplyFailure() }
    }

    // MARK: Fast path

    /// Only a stateful firewall vouches for decisions: a tracked connection's packets pass on
    /// its verdict; a stateless one judges every packet by the rules.
    public var isFastPathCapable: Bool { tracker != nil }

    /// Notes a packet of the connection in `slot` when the connection is steady: a lease on
    /// its serial, its expiry pushed out by its state's timeout, and the counter of the rule
    /// that allowed it (out of line: the inline path stays small).
    @inline(never)
    func note(_ link: FastPathLink, _ packet: PacketMetadata, slot: Int, tracker: ConnectionTracker) {
        guard tracker.isSteady(slot) else { return }
        link.note(
            packet,
            link.lease(
                identity: tracker.serialWord(slot), expected: tracker.entries[slot].serial,
                deadline: tracker.expiryWord(slot), refresh: tracker.timeout(slot),
                counters: counters.storage + 2 &* Int(tracker.entries[slot].ruleNumber)))
    }

    public func beginFastPathBatch() -> UInt64 {
        if let tables = updates.take() { adopt(tables) }
        return adoptedCount
    }

    /// A quarter of `process`'s sweep: batches that took the fast path come far more often.
    public func sweepFastPath(now: UInt64, emit: PacketBatch) {
        tracker?.sweep(now: now, slotBudget: 16)
        if fragments.isActive { fragments.sweep(now: now, pool: emit.pool) }
    }
}
