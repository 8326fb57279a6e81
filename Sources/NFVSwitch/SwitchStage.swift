import NFVPacket
import NFVPipeline

/// The software switch as a stage: OpenFlow-style flow tables in front of the chain's ports.
///
/// Each packet's header fields (`SwitchKey`) go through table 0 (an exact-match cache in front
/// of the tuple-space classifier), then any table a `goto_table` names; the matched flow's
/// actions run in order: rewrite fields (MACs, VLAN, IPv4 addresses and ports, with RFC 1624
/// checksum updates), push or pop a VLAN tag, output to ports, flood, `normal` L2 switching
/// (MAC learning per VLAN with ageing; unknown and broadcast destinations flood within the
/// VLAN), or punt to the controller side. Several outputs send copies (emitted packets).
///
/// Ports are access ports (untagged, one VLAN) or trunks (802.1Q tagged, a list of VLANs, an
/// optional native VLAN for untagged frames); a frame leaves an access port untagged and a
/// trunk tagged, and never goes back out of the port it came in on.
///
/// Flow changes (`replaceFlows`) are built off the data path and swapped in between two
/// batches; the cache is invalidated by a version number; counters follow flows that stay.
///
/// Drops: `switch_table_miss` (no flow matched), `switch_flow_drop` (the flow sends nowhere),
/// `switch_same_port` (L2 would send the frame back where it came from),
/// `switch_vlan_not_allowed` (VLAN not carried by the port), `ttl_expired` (dec_ttl took the
/// IPv4 TTL or IPv6 hop limit to 0), `switch_group_no_bucket` (no group bucket could take it),
/// `meter_drop` (over a meter's rate), `switch_path_unknown`
/// (`chain:` to a path this switch does not have), `bad_ipv4_checksum` (a flow would rewrite an
/// IPv4 address of a header whose checksum is wrong), `not_parsed`.
public final class SwitchStage: Stage, IdleWork {
    public enum PortMode: Sendable, Equatable {
        case access(vlan: UInt16)
        case trunk(vlans: [UInt16], native: UInt16?)
        /// Frames pass as they are, tagged or not (an OpenFlow switch: VLANs are the flows'
        /// business). Internally a trunk of every VLAN whose native VLAN is 0 (untagged).
        case raw
    }

    public struct Port: Sendable, Equatable {
        public var name: String
        public var number: UInt16
        public var mode: PortMode
        public init(name: String, number: UInt16, mode: PortMode) {
            self.name = name
            self.number = number
            self.mode = mode
        }
    }

    /// Where `chain:NAME` sends a packet: the service path's number (stamped in the packet's
    /// metadata, so the path's stages take it and the others let it pass) and the port it leaves on.
    public struct PathTarget: Sendable, Equatable {
        public var name: String
        public var path: UInt8
        public var outPort: UInt16
        public init(name: String, path: UInt8, outPort: UInt16) {
            self.name = name
            self.path = path
            self.outPort = outPort
        }
    }

    public let name: String
    public var kind: String { "switch" }
    public let ports: [Port]
    /// The service paths `chain:` actions can name.
    public let paths: [PathTarget]
    /// Replies of connections that took a path (the classifier of a chain with paths): a
    /// packet from another port than `affinityEntryPort` that replies to one takes its path back.
    /// (`let`s: the per-packet path reads them without exclusivity checks.) Replies leave on
    /// the entry port.
    public let affinity: PathAffinity?
    public let affinityEntryPort: UInt16
    /// Port position by chain port number (-1: not a switch port).
    let portSlot: [Int16]
    /// Per slot: a raw port (an OpenFlow switch's), whose frames leave exactly as the flow's
    /// actions left them.
    let rawSlots: [Bool]

    var tables: Tables
    let updates = UpdateMailbox<SwitchProgram>()
    /// Which ports are live, for fast-failover and select groups (the control side sets it).
    public let liveness = PortLiveness()
    var nextExpiryCheck: UInt64 = 0
    /// Why each punted packet went to the controller, in punt order, while `recordsPunts` is
    /// set (an OpenFlow channel reads them with the punted batch: PACKET_IN's table, cookie and
    /// reason). Worker thread only.
    public var puntNotes: [PuntNote] = []
    public var recordsPunts = false
    /// Packets a controller sent (PACKET_OUT) with their own actions, by packet id: the switch
    /// runs these actions instead of its tables. Worker thread only.
    public var packetOutActions: [UInt32: [FlowAction]] = [:]

    /// Called on the worker's thread with the flows that timed out (and their counters), when
    /// set: the control side drops them from its table too (so an edit does not bring them
    /// back) and tells controllers that asked (FLOW_REMOVED).
    public var onExpiry: (@Sendable ([ExpiredFlow]) -> Void)?

    /// A flow that timed out.
    public struct ExpiredFlow: Sendable, Equatable {
        public var flow: FlowEntry
        /// True for the hard timeout, false for the idle one.
        public var hard: Bool
        public var packets: UInt64
        public var bytes: UInt64
        /// Seconds it was installed.
        public var seconds: Double
    }

    /// The flow that sent a packet to the controller.
    public struct PuntNote: Sendable, Equatable {
        public var table: UInt8
        public var cookie: UInt64
        /// True for a table-miss flow (priority 0, matching everything): OFPR_NO_MATCH.
        public var tableMiss: Bool

        public init(table: UInt8, cookie: UInt64, tableMiss: Bool) {
            self.table = table
            self.cookie = cookie
            self.tableMiss = tableMiss
        }
    }

    /// The installed flows, in table then installation order.
    public var flows: [FlowEntry] { tables.flows }
    /// The installed flows, groups and meters.
    public var program: SwitchProgram { tables.program }

    /// Access VLAN of each port slot (-1: a trunk), the trunk's native VLAN (-1: none) and the
    /// VLANs a trunk carries (a 4096-bit set per slot).
    let accessVLAN: UnsafeMutablePointer<Int32>
    let nativeVLAN: UnsafeMutablePointer<Int32>
    let trunkVLANs: UnsafeMutablePointer<UInt64>
    let portNumbers: UnsafeMutablePointer<UInt16>

    // Exact-match cache for table 0.
    struct CacheEntry {
        var key: SwitchKey
        var version: UInt64
        var flow: Int32
    }
    let cache: UnsafeMutablePointer<CacheEntry>
    let cacheMask: Int
    /// The keyed hash of the cache and the MAC table.
    let hasher: TableHash

    // MAC learning.
    let macs: MACTable
    let ageing: UInt64

    /// Output ports of the packet in hand (allocated once): the port in the low 16 bits, and
    /// for a copy an ALL group's bucket makes, the bucket's index plus one above them.
    let outputs: UnsafeMutablePointer<UInt32>
    let outputCapacity: Int
    /// The packet as it was when a flow sent it to the controller (its metadata and first
    /// bytes: later actions of the same pass may rewrite the headers before it is punted).
    var snapshot = PacketMetadata(id: 0, dataOffset: 0, length: 0, inPort: 0, timestamp: 0)
    let snapshotBytes: UnsafeMutableRawPointer
    static let snapshotByteCount = 256
    /// The packet's action set by place (`CompiledAction.setSlot`), and the set in the order it
    /// runs.
    let setSlots: UnsafeMutablePointer<CompiledAction>
    let setProgram: UnsafeMutablePointer<CompiledAction>
    /// cache hits, classifier lookups, MACs learnt, floods, flows expired.
    let statistics: UnsafeMutablePointer<UInt64>

    public var cacheHits: UInt64 { statistics[0] }
    public var classifierLookups: UInt64 { statistics[1] }
    public var macsLearned: UInt64 { statistics[2] }
    public var floods: UInt64 { statistics[3] }
    public var flowsExpired: UInt64 { statistics[4] }

    /// A switch over `ports` with `flows` (any tables), an exact-match cache of `cacheSize`
    /// entries (a power of two), a MAC table of `macCapacity` entries and `ageing` seconds.
    public init(
        name: String, ports: [Port], flows: [FlowEntry], paths: [PathTarget] = [], affinity: PathAffinity? = nil,
        affinityEntryPort: UInt16 = 0, cacheSize: Int = 8192, macCapacity: Int = 4096, ageing: UInt64 = 300
    ) {
        self.name = name
        self.ports = ports
        self.paths = paths
        self.affinity = affinity
        self.affinityEntryPort = affinityEntryPort
        var slots = [Int16](repeating: -1, count: 256)
        for (index, port) in ports.enumerated() where port.number < 256 { slots[Int(port.number)] = Int16(index) }
        portSlot = slots
        rawSlots = ports.map { $0.mode == .raw }
        precondition(cacheSize > 0 && cacheSize & (cacheSize - 1) == 0)
        cache = .allocate(capacity: cacheSize)
        cache.initialize(repeating: CacheEntry(key: SwitchKey(), version: 0, flow: -1), count: cacheSize)
        cacheMask = cacheSize - 1
        hasher = .process
        macs = MACTable(capacity: macCapacity, hasher: hasher)
        self.ageing = ageing * 1_000_000_000
        let slotCount = max(ports.count, 1)
        accessVLAN = .allocate(capacity: slotCount)
        nativeVLAN = .allocate(capacity: slotCount)
        trunkVLANs = .allocate(capacity: slotCount * 64)
        trunkVLANs.initialize(repeating: 0, count: slotCount * 64)
        portNumbers = .allocate(capacity: slotCount)
        for (slot, port) in ports.enumerated() {
            portNumbers[slot] = port.number
            switch port.mode {
            case .access(let vlan):
                accessVLAN[slot] = Int32(vlan)
                nativeVLAN[slot] = -1
            case .trunk(let vlans, let native):
                accessVLAN[slot] = -1
                nativeVLAN[slot] = native.map { Int32($0) } ?? -1
                for vlan in vlans where vlan < 4096 { trunkVLANs[slot * 64 + Int(vlan) / 64] |= 1 << UInt64(vlan % 64) }
            case .raw:
                accessVLAN[slot] = -1
                nativeVLAN[slot] = 0
                for word in 0..<64 { trunkVLANs[slot * 64 + word] = .max }
            }
        }
        outputCapacity = ports.count + 64
        outputs = .allocate(capacity: outputCapacity)
        setSlots = .allocate(capacity: CompiledAction.setSlotCount)
        setProgram = .allocate(capacity: CompiledAction.setSlotCount)
        snapshotBytes = .allocate(byteCount: Self.snapshotByteCount, alignment: 16)
        statistics = .allocate(capacity: 5)
        statistics.initialize(repeating: 0, count: 5)
        tables = Tables(program: SwitchProgram(flows: flows), version: 1, now: 0, carried: [:], paths: paths)
    }

    deinit {
        cache.deallocate()
        accessVLAN.deallocate()
        nativeVLAN.deallocate()
        trunkVLANs.deallocate()
        portNumbers.deallocate()
        outputs.deallocate()
        setSlots.deallocate()
        setProgram.deallocate()
        snapshotBytes.deallocate()
        statistics.deallocate()
    }

    /// Replaces every flow, group and meter (thread-safe; the tables are swapped in before the
    /// next batch).
    public func replaceProgram(_ program: SwitchProgram) { updates.post(program) }

    /// Replaces every flow (and drops any group or meter).
    public func replaceFlows(_ flows: [FlowEntry]) { updates.post(SwitchProgram(flows: flows)) }

    /// Flows with their counters: (flow, packets, bytes, seconds since installed at `now`).
    public func flowStatistics(now: UInt64) -> [(flow: FlowEntry, packets: UInt64, bytes: UInt64, seconds: Double)] {
        let current = tables
        return current.flows.indices.map { index in
            (
                current.flows[index], current.counters[4 * index], current.counters[4 * index + 1],
                Double(now &- min(current.counters[4 * index + 3], now)) / 1e9
            )
        }
    }

    /// Builds the tables of `program`; counters carry over for flows of the same table,
    /// priority, match and counter epoch.
    func install(_ program: SwitchProgram, now: UInt64) {
        let old = tables
        var carried: [FlowIdentity: (UInt64, UInt64, UInt64, UInt64)] = [:]
        for index in old.flows.indices {
            carried[FlowIdentity(old.flows[index])] = (
                old.counters[4 * index], old.counters[4 * index + 1], old.counters[4 * index + 2],
                old.counters[4 * index + 3]
            )
        }
        tables = Tables(program: program, version: old.version &+ 1, now: now, carried: carried, paths: paths)
    }

    // MARK: data path

    /// Takes posted flows and expires timed-out ones while no packet comes.
    public func idle(now: UInt64) {
        if let program = updates.take() { install(program, now: now) }
        if tables.clockStarted, now >= nextExpiryCheck { expireFlows(now: now) }
    }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        let count = batch.count
        guard count > 0 else { return }
        let now = batch.metadata[0].timestamp
        if let program = updates.take() { install(program, now: now) }
        if !tables.clockStarted { startClock(now) }
        if now >= nextExpiryCheck { expireFlows(now: now) }
        let current = tables
        // Chains with paths remember each connection's path: the full path does that.
        let quickPathAllowed = affinity == nil
        // Controller packets (PACKET_OUT) arrive in batches of their own: one look per batch.
        let carriesPacketOuts = !packetOutActions.isEmpty
        for index in 0..<count {
            // A controller's PACKET_OUT with its own actions: run them, not the tables (taken
            // before the parsed check, so a dropped one leaves no actions behind).
            if carriesPacketOuts, let actions = packetOutActions.removeValue(forKey: batch.metadata[index].id) {
                switchPacketOut(index, actions: actions, batch: batch, emit: emit, now: now, tables: current)
                continue
            }
            guard batch.metadata[index].flags.contains(.parsed) else {
                batch.drop(index, reason: .notParsed)
                continue
            }
            if quickPathAllowed && forwardQuickly(index, batch: batch, now: now, tables: current) { continue }
            switchPacket(index, batch: batch, emit: emit, now: now, tables: current)
        }
    }

    /// A controller's PACKET_OUT with its own actions: they run as the one flow of a table that
    /// has the switch's groups and meters (out of line: it keeps the per-packet loop small).
    @inline(never)
    func switchPacketOut(_ index: Int, actions: [FlowAction], batch: PacketBatch, emit: PacketBatch, now: UInt64, tables current: Tables) {
        guard batch.metadata[index].flags.contains(.parsed) else {
            batch.drop(index, reason: .notParsed)
            return
        }
        var program = current.program
        program.flows = [FlowEntry(priority: 0, actions: actions)]
        let oneFlow = Tables(program: program, version: .max, now: now, carried: [:], paths: paths)
        switchPacket(index, batch: batch, emit: emit, now: now, tables: oneFlow)
    }

    /// The common case, inline: an exact-match cache hit on a table-0 flow whose only action
    /// is one output, where neither port changes the frame's VLAN tagging (not switch ports, or
    /// access ports of one VLAN with an untagged frame). Returns false without touching
    /// anything otherwise; `switchPacket` then runs the whole pipeline (and fills the cache).
    @inline(__always)
    func forwardQuickly(_ index: Int, batch: PacketBatch, now: UInt64, tables: Tables) -> Bool {
        let entry = batch.metadata + index
        let frame = batch.pool.slot(entry.pointee.id) + Int(entry.pointee.dataOffset)
        let key = SwitchKey(frame: frame, metadata: entry.pointee)
        let inSlot = slot(of: entry.pointee.inPort)
        var vlan: UInt16 = key.vlanTCI & SwitchKey.vlanPresent != 0 ? key.vlanTCI & 0x0FFF : 0
        if inSlot >= 0 {
            let access = accessVLAN[inSlot]
            guard access >= 0, key.vlanTCI == 0 else { return false }
            vlan = UInt16(truncatingIfNeeded: access)
        }
        let hash = key.hash(with: hasher)
        var cached = cache + (Int(truncatingIfNeeded: hash) & cacheMask)
        if !(cached.pointee.version == tables.version && cached.pointee.key == key) {
            cached = cache + (Int(truncatingIfNeeded: hash >> 32) & cacheMask)
            guard cached.pointee.version == tables.version && cached.pointee.key == key else { return false }
        }
        let flow = Int(cached.pointee.flow)
        guard flow >= 0 else { return false }
        let port = tables.singleOutput[flow]
        guard port >= 0 else { return false }
        let outSlot = slot(of: UInt16(truncatingIfNeeded: port))
        if outSlot >= 0 {
            // Leaves unchanged only from an access port of this VLAN to an untagged frame.
            guard accessVLAN[outSlot] == Int32(vlan), key.vlanTCI == 0 else { return false }
        }
        statistics[0] &+= 1
        let counters = tables.counters + 4 &* flow
        counters[0] &+= 1
        counters[1] &+= UInt64(entry.pointee.length)
        counters[2] = now
        entry.pointee.outPort = UInt16(truncatingIfNeeded: port)
        return true
    }

    /// Table 0 through the exact-match cache: two candidate slots per key (from two halves of
    /// its hash), as Open vSwitch's EMC does, so two hot flows that collide on one slot do not
    /// evict each other; a miss fills the emptier-looking (stale or second) slot.
    @inline(__always)
    func lookupTable0(_ key: SwitchKey, tables: Tables) -> Int {
        let hash = key.hash(with: hasher)
        let first = cache + (Int(truncatingIfNeeded: hash) & cacheMask)
        if first.pointee.version == tables.version && first.pointee.key == key {
            statistics[0] &+= 1
            return Int(first.pointee.flow)
        }
        let second = cache + (Int(truncatingIfNeeded: hash >> 32) & cacheMask)
        if second.pointee.version == tables.version && second.pointee.key == key {
            statistics[0] &+= 1
            return Int(second.pointee.flow)
        }
        statistics[1] &+= 1
        let flow = tables.classifiers.isEmpty ? -1 : tables.classifiers[0].lookup(key)
        let victim = first.pointee.version != tables.version ? first : second
        victim.pointee = CacheEntry(key: key, version: tables.version, flow: Int32(flow))
        return flow
    }

    @inline(__always)
    func slot(of port: UInt16) -> Int { Int(port) < portSlot.count ? Int(portSlot[Int(port)]) : -1 }

    @inline(__always)
    func carries(_ slot: Int, _ vlan: UInt16) -> Bool {
        let access = accessVLAN[slot]
        if access >= 0 { return access == Int32(vlan) }
        return nativeVLAN[slot] == Int32(vlan) || trunkVLANs[slot &* 64 &+ Int(vlan) / 64] & (1 << UInt64(vlan % 64)) != 0
    }

    func switchPacket(_ index: Int, batch: PacketBatch, emit: PacketBatch, now: UInt64, tables: Tables) {
        var entry = batch.metadata[index]
        let inPort = entry.inPort
        let inSlot = slot(of: inPort)
        var frame = batch.pool.slot(entry.id) + Int(entry.dataOffset)
        var key = SwitchKey(frame: frame, metadata: entry)
        // The frame's VLAN as the switch sees it (access ports give theirs to untagged frames).
        var vlan: UInt16 = key.vlanTCI & SwitchKey.vlanPresent != 0 ? key.vlanTCI & 0x0FFF : 0
        if inSlot >= 0 {
            let access = accessVLAN[inSlot]
            if access >= 0 {
                guard key.vlanTCI == 0 else {
                    batch.drop(index, reason: .switchVLANNotAllowed)
                    return
                }
                vlan = UInt16(access)
            } else if key.vlanTCI == 0 {
                let native = nativeVLAN[inSlot]
                guard native >= 0 else {
                    batch.drop(index, reason: .switchVLANNotAllowed)
                    return
                }
                vlan = UInt16(native)
            } else if !carries(inSlot, vlan) {
                batch.drop(index, reason: .switchVLANNotAllowed)
                return
            }
        }
        if let affinity, inPort != affinityEntryPort {
            let path = affinity.path(ofReply: key, now: now)
            if path != 0 {
                entry.path = path
                entry.outPort = affinityEntryPort
                batch.metadata[index] = entry
                return
            }
        }
        var outputCount = 0
        var punt = false
        var puntFlow = -1
        var puntTable = 0
        var table = 0
        var hops = 0
        let length = UInt64(entry.length)
        var actionSet: UInt32 = 0  // which places of `setSlots` hold an action (write_actions)
        var flushed = 0  // outputs already sent as copies (a rewrite came after them)
        // The packet as it was at CONTROLLER, kept only when a rewrite follows (most punted
        // packets see none, and skip the copy).
        var snapshotted = false
        tables: while hops < 16 {
            hops &+= 1
            let local =
                table == 0
                ? lookupTable0(key, tables: tables)
                : (table < tables.classifiers.count ? tables.classifiers[table].lookup(key) : -1)
            guard local >= 0 else {
                batch.drop(index, reason: .switchTableMiss)
                return
            }
            let flow = tables.tableBase[table] &+ local
            let counters = tables.counters + 4 &* flow
            counters[0] &+= 1
            counters[1] &+= length
            counters[2] = now
            var code = tables.actions
            var position = Int(tables.actionStart[flow])
            var end = Int(tables.actionStart[flow &+ 1])
            // A SELECT, INDIRECT or FAST_FAILOVER bucket runs in line; then the flow goes on here.
            var resumeAt = -1
            var resumeEnd = 0
            var resumeCode = code
            while true {
                if position >= end {
                    if resumeAt >= 0 {
                        (code, position, end, resumeAt) = (resumeCode, resumeAt, resumeEnd, -1)
                        continue
                    }
                    // The pipeline ends here: the action set runs, in its order.
                    guard actionSet != 0 else { break }
                    (code, position, end) = (setProgram, 0, orderActionSet(actionSet))
                    actionSet = 0
                    continue
                }
                let action = code[position]
                position &+= 1
                switch action.kind {
                case .output:
                    if outputCount < outputCapacity {
                        outputs[outputCount] = UInt32(truncatingIfNeeded: action.operand) & 0xFFFF
                        outputCount &+= 1
                    }
                case .flood: flood(inSlot: inSlot, vlan: vlan, count: &outputCount)
                case .inPort:
                    if outputCount < outputCapacity {
                        outputs[outputCount] = UInt32(inPort)
                        outputCount &+= 1
                    }
                case .normal:
                    if !normal(key: key, inPort: inPort, inSlot: inSlot, vlan: vlan, now: now, count: &outputCount), outputCount == 0 {
                        batch.metadata[index] = entry
                        batch.drop(index, reason: .switchSamePort)
                        return
                    }
                case .controller:
                    punt = true
                    (puntFlow, puntTable) = (flow, table)
                case .gotoTable:
                    let next = Int(action.operand)
                    guard next > table else { break }
                    table = next
                    continue tables
                case .chain:
                    guard action.operand < UInt64(paths.count) else {
                        batch.metadata[index] = entry
                        batch.drop(index, reason: .switchPathUnknown)
                        return
                    }
                    // Into a service path: its stages do the rest, and it leaves on the path's port.
                    let target = paths[Int(action.operand)]
                    entry.path = target.path
                    entry.outPort = target.outPort
                    batch.metadata[index] = entry
                    return
                case .group:
                    let bucket = chooseBucket(Int(truncatingIfNeeded: action.operand), frame: frame, entry: entry, tables: tables)
                    if bucket == Self.everyBucket {
                        allBuckets(Int(action.operand), inSlot: inSlot, vlan: vlan, length: length, tables: tables, count: &outputCount)
                    } else if bucket >= 0 {
                        tables.groupCounters[Int(action.operand)].count(
                            bucket: bucket &- tables.groups[Int(action.operand)].firstBucket, bytes: length)
                        guard resumeAt < 0 else { break }  // groups do not chain
                        (resumeCode, resumeAt, resumeEnd) = (code, position, end)
                        (code, position, end) = (tables.actions, tables.buckets[bucket].start, tables.buckets[bucket].end)
                    } else {
                        batch.metadata[index] = entry
                        batch.drop(index, reason: .switchGroupNoBucket)
                        return
                    }
                case .write:
                    let written = tables.actions[Int(action.operand)]
                    let slot = written.setSlot
                    if slot >= 0 {
                        setSlots[slot] = written
                        actionSet |= 1 << UInt32(slot)
                    }
                case .clearActions: actionSet = 0
                case .writeMetadata: key.metadata = key.metadata & ~action.mask | action.operand & action.mask
                case .meter:
                    guard action.operand < UInt64(tables.meters.count) else { break }
                    let (bytes, packets) = entry.wireSize(frame)
                    switch tables.meters[Int(action.operand)].admit(bytes: bytes, packets: packets, now: entry.timestamp) {
                    case .pass: break
                    case .drop:
                        batch.metadata[index] = entry
                        batch.drop(index, reason: .meterDrop)
                        return
                    case .remarkDSCP(let precedence):
                        if punt && !snapshotted { snapshotted = takeSnapshot(entry, frame) }
                        remarkDSCP(frame, entry, raisingBy: precedence)
                    }
                default:
                    // Outputs before a rewrite leave with the packet as it was (copies now).
                    if outputCount > flushed {
                        emitCopies(flushed..<outputCount, entry: entry, frame: frame, key: key, vlan: vlan, emit: emit, tables: tables)
                        flushed = outputCount
                    }
                    if punt && !snapshotted { snapshotted = takeSnapshot(entry, frame) }  // the controller's copy
                    let refusal = rewrite(action, &entry, &frame, &key, &vlan)
                    guard refusal == .none else {
                        batch.metadata[index] = entry
                        batch.drop(index, reason: refusal)
                        return
                    }
                }
            }
            break
        }
        batch.metadata[index] = entry
        guard outputCount > flushed else {
            if punt {
                sendToController(index, batch: batch, frame: frame, tables: tables, flow: puntFlow, table: puntTable, restore: snapshotted)
            } else {
                batch.drop(index, reason: outputCount > 0 ? .switchCopiesSent : .switchFlowDrop)
            }
            return
        }
        // Copies for every output but the first; the original takes the first. When the flows
        // also send the packet to the controller, every output gets a copy and the original
        // goes to the controller.
        emitCopies((punt ? flushed : flushed &+ 1)..<outputCount, entry: entry, frame: frame, key: key, vlan: vlan, emit: emit, tables: tables)
        if punt {
            sendToController(index, batch: batch, frame: frame, tables: tables, flow: puntFlow, table: puntTable, restore: snapshotted)
            return
        }
        let first = outputs[flushed]
        if first > 0xFFFF {
            let refusal = applyBucket(Int(first >> 16) &- 1, &entry, &frame, &key, &vlan, tables: tables)
            guard refusal == .none else {
                batch.metadata[index] = entry
                batch.drop(index, reason: refusal)
                return
            }
        }
        let allowed = egress(UInt16(truncatingIfNeeded: first), &entry, &frame, vlan: vlan)
        entry.outPort = UInt16(truncatingIfNeeded: first)
        batch.metadata[index] = entry
        if !allowed { batch.drop(index, reason: .switchVLANNotAllowed) }
    }

    /// Stations not learnt because the MAC table was full of live entries.
    public var macTableRefusals: UInt64 { macs.refused }
}
