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
/// `switch_vlan_not_allowed` (VLAN not carried by the port), `switch_path_unknown`
/// (`chain:` to a path this switch does not have), `not_parsed`.
public final class SwitchStage: Stage {
    public enum PortMode: Sendable, Equatable {
        case access(vlan: UInt16)
        case trunk(vlans: [UInt16], native: UInt16?)
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

    public let name: String
    public var kind: String { "switch" }
    public let ports: [Port]
    /// Port position by chain port number (-1: not a switch port).
    let portSlot: [Int16]

    // Flow tables, by table number.
    public private(set) var flows: [FlowEntry] = []
    var classifiers: [FlowClassifier] = []
    /// Global flow index of each table's local index 0.
    var tableBase: [Int] = []
    /// packets, bytes per global flow index, and when the flow was installed / last hit.
    public private(set) var flowPackets: [UInt64] = []
    public private(set) var flowBytes: [UInt64] = []
    var flowInstalled: [UInt64] = []
    var flowLastHit: [UInt64] = []
    var version: UInt64 = 1
    let updates = UpdateMailbox<[FlowEntry]>()
    var nextExpiryCheck: UInt64 = 0

    // Exact-match cache for table 0.
    struct CacheEntry {
        var key: SwitchKey
        var version: UInt64
        var flow: Int32
    }
    let cache: UnsafeMutablePointer<CacheEntry>
    let cacheMask: Int

    // MAC learning.
    struct MACEntry {
        var mac: UInt64
        var vlan: UInt16
        var port: UInt16
        var expires: UInt64
    }
    let macs: UnsafeMutablePointer<MACEntry>
    let macMask: Int
    let ageing: UInt64

    /// Scratch list of output ports for the packet in hand (allocated once).
    var outputs: [UInt16] = []

    public private(set) var cacheHits: UInt64 = 0
    public private(set) var classifierLookups: UInt64 = 0
    public private(set) var macsLearned: UInt64 = 0
    public private(set) var floods: UInt64 = 0
    public private(set) var flowsExpired: UInt64 = 0

    /// A switch over `ports` with `flows` (any tables), an exact-match cache of `cacheSize`
    /// entries (a power of two), a MAC table of `macCapacity` entries and `ageing` seconds.
    public init(name: String, ports: [Port], flows: [FlowEntry], cacheSize: Int = 8192, macCapacity: Int = 4096, ageing: UInt64 = 300) {
        self.name = name
        self.ports = ports
        var slots = [Int16](repeating: -1, count: 256)
        for (index, port) in ports.enumerated() where port.number < 256 { slots[Int(port.number)] = Int16(index) }
        portSlot = slots
        precondition(cacheSize > 0 && cacheSize & (cacheSize - 1) == 0 && macCapacity & (macCapacity - 1) == 0)
        cache = .allocate(capacity: cacheSize)
        cache.initialize(repeating: CacheEntry(key: SwitchKey(), version: 0, flow: -1), count: cacheSize)
        cacheMask = cacheSize - 1
        macs = .allocate(capacity: macCapacity)
        macs.initialize(repeating: MACEntry(mac: 0, vlan: 0, port: 0, expires: 0), count: macCapacity)
        macMask = macCapacity - 1
        self.ageing = ageing * 1_000_000_000
        outputs.reserveCapacity(ports.count + 8)
        install(flows, now: 0)
    }

    deinit {
        cache.deallocate()
        macs.deallocate()
    }

    /// Replaces every flow (thread-safe; the tables are swapped in before the next batch).
    public func replaceFlows(_ flows: [FlowEntry]) { updates.post(flows) }

    /// Flows with their counters: (flow, packets, bytes, seconds since installed at `now`).
    public func flowStatistics(now: UInt64) -> [(flow: FlowEntry, packets: UInt64, bytes: UInt64, seconds: Double)] {
        flows.indices.map { (flows[$0], flowPackets[$0], flowBytes[$0], Double(now &- min(flowInstalled[$0], now)) / 1e9) }
    }

    /// Builds the tables of `newFlows`; counters carry over for flows that are unchanged.
    func install(_ newFlows: [FlowEntry], now: UInt64) {
        var carried: [FlowEntry: (UInt64, UInt64, UInt64, UInt64)] = [:]
        for index in flows.indices { carried[flows[index]] = (flowPackets[index], flowBytes[index], flowInstalled[index], flowLastHit[index]) }
        let sorted = newFlows.enumerated().sorted { ($0.element.table, $0.offset) < ($1.element.table, $1.offset) }.map(\.element)
        let tableCount = Int(sorted.map(\.table).max() ?? 0) + 1
        classifiers = []
        tableBase = []
        var start = 0
        for table in 0..<tableCount {
            let members = sorted.filter { $0.table == table }
            tableBase.append(start)
            classifiers.append(FlowClassifier(flows: members))
            start += members.count
        }
        flows = sorted
        flowPackets = sorted.map { carried[$0]?.0 ?? 0 }
        flowBytes = sorted.map { carried[$0]?.1 ?? 0 }
        flowInstalled = sorted.map { carried[$0]?.2 ?? now }
        flowLastHit = sorted.map { carried[$0]?.3 ?? now }
        version &+= 1
    }

    // MARK: data path

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        let count = batch.count
        guard count > 0 else { return }
        let now = batch.metadata[0].timestamp
        if let newFlows = updates.take() { install(newFlows, now: now) }
        if now >= nextExpiryCheck { expireFlows(now: now) }
        for index in 0..<count {
            let entry = batch.metadata[index]
            guard entry.flags.contains(.parsed) else {
                batch.drop(index, reason: .notParsed)
                continue
            }
            switchPacket(index, batch: batch, emit: emit, now: now)
        }
    }

    @inline(__always)
    func lookupTable0(_ key: SwitchKey) -> Int {
        let slot = Int(truncatingIfNeeded: key.fastHash) & cacheMask
        if cache[slot].version == version && cache[slot].key == key {
            cacheHits &+= 1
            return Int(cache[slot].flow)
        }
        classifierLookups &+= 1
        let local = classifiers.isEmpty ? -1 : classifiers[0].lookup(key)
        let flow = local < 0 ? -1 : local
        cache[slot] = CacheEntry(key: key, version: version, flow: Int32(flow))
        return flow
    }

    func switchPacket(_ index: Int, batch: PacketBatch, emit: PacketBatch, now: UInt64) {
        var entry = batch.metadata[index]
        let inPort = entry.inPort
        let inSlot = Int(inPort) < portSlot.count ? Int(portSlot[Int(inPort)]) : -1
        var frame = batch.pool.slot(entry.id) + Int(entry.dataOffset)
        var key = SwitchKey(frame: frame, metadata: entry)
        // The frame's VLAN as the switch sees it (access ports give theirs to untagged frames).
        var vlan: UInt16 = key.vlanTCI & SwitchKey.vlanPresent != 0 ? key.vlanTCI & 0x0FFF : 0
        if inSlot >= 0 {
            switch ports[inSlot].mode {
            case .access(let access):
                guard key.vlanTCI == 0 else { batch.drop(index, reason: .switchVLANNotAllowed); return }
                vlan = access
            case .trunk(let vlans, let native):
                if key.vlanTCI == 0 {
                    guard let native else { batch.drop(index, reason: .switchVLANNotAllowed); return }
                    vlan = native
                } else if !vlans.contains(vlan) {
                    batch.drop(index, reason: .switchVLANNotAllowed)
                    return
                }
            }
        }
        outputs.removeAll(keepingCapacity: true)
        var punt = false
        var table = 0
        var hops = 0
        tables: while hops < 16 {
            hops += 1
            let local = table == 0 ? lookupTable0(key) : (table < classifiers.count ? classifiers[table].lookup(key) : -1)
            guard local >= 0 else {
                batch.drop(index, reason: .switchTableMiss)
                return
            }
            let flow = tableBase[table] + local
            flowPackets[flow] &+= 1
            flowBytes[flow] &+= UInt64(entry.length)
            flowLastHit[flow] = now
            for action in flows[flow].actions {
                switch action {
                case .output(let port): outputs.append(port)
                case .flood: flood(inSlot: inSlot, vlan: vlan)
                case .normal:
                    if !normal(key: key, inPort: inPort, inSlot: inSlot, vlan: vlan, now: now), outputs.isEmpty {
                        batch.metadata[index] = entry
                        batch.drop(index, reason: .switchSamePort)
                        return
                    }
                case .controller: punt = true
                case .setEthSrc(let mac):
                    frame.storeMAC(mac, at: 6)
                    key.ethSrc = mac
                case .setEthDst(let mac):
                    frame.storeMAC(mac, at: 0)
                    key.ethDst = mac
                case .setVLANVID(let vid):
                    if key.vlanTCI == 0 { pushTag(&entry, &frame, batch: batch, tpid: EtherType.vlan) }
                    let tci = frame.loadNetworkUInt16(at: 14) & 0xF000 | vid & 0x0FFF
                    frame.storeNetworkUInt16(tci, at: 14)
                    key.vlanTCI = tci & 0xEFFF | SwitchKey.vlanPresent
                    vlan = vid
                case .pushVLAN(let tpid):
                    pushTag(&entry, &frame, batch: batch, tpid: tpid)
                    frame.storeNetworkUInt16(vlan & 0x0FFF, at: 14)
                    key.vlanTCI = vlan & 0x0FFF | SwitchKey.vlanPresent
                case .popVLAN:
                    if key.vlanTCI != 0 { popTag(&entry, &frame) }
                    key.vlanTCI = 0
                case .setIPv4Source(let address): rewriteIPv4(frame, entry, source: true, address.rawValue, &key)
                case .setIPv4Destination(let address): rewriteIPv4(frame, entry, source: false, address.rawValue, &key)
                case .setTransportSource(let port): rewritePort(frame, entry, source: true, port, &key)
                case .setTransportDestination(let port): rewritePort(frame, entry, source: false, port, &key)
                case .gotoTable(let next):
                    guard Int(next) > table else { break }
                    table = Int(next)
                    continue tables
                case .chain:
                    batch.metadata[index] = entry
                    batch.drop(index, reason: .switchPathUnknown)
                    return
                }
            }
            break
        }
        batch.metadata[index] = entry
        guard !outputs.isEmpty else {
            if punt { batch.punt(index) } else { batch.drop(index, reason: .switchFlowDrop) }
            return
        }
        // Copies for every output but the first; the original takes the first.
        for position in 1..<max(outputs.count, 1) where position < outputs.count {
            let result = emit.appendCopy(of: UnsafeRawBufferPointer(start: frame, count: Int(entry.length)), inPort: inPort,
                                         timestamp: entry.timestamp)
            guard result == .appended else { continue }
            let copyIndex = emit.count - 1
            emit.metadata[copyIndex].flags = entry.flags
            emit.metadata[copyIndex].l3Offset = entry.l3Offset
            emit.metadata[copyIndex].l4Offset = entry.l4Offset
            emit.metadata[copyIndex].etherType = entry.etherType
            emit.metadata[copyIndex].ipProtocol = entry.ipProtocol
            var copy = emit.metadata[copyIndex]
            var copyFrame = emit.pool.slot(copy.id) + Int(copy.dataOffset)
            if egress(outputs[position], &copy, &copyFrame, batch: emit, vlan: vlan) {
                copy.outPort = outputs[position]
                emit.metadata[copyIndex] = copy
            } else {
                emit.metadata[copyIndex] = copy
                emit.drop(copyIndex, reason: .switchVLANNotAllowed)
            }
        }
        let first = outputs[0]
        if egress(first, &entry, &frame, batch: batch, vlan: vlan) {
            entry.outPort = first
            batch.metadata[index] = entry
        } else {
            batch.metadata[index] = entry
            batch.drop(index, reason: .switchVLANNotAllowed)
        }
    }

    /// Tags or untags the frame for `port`'s mode; false when the port does not carry `vlan`.
    func egress(_ port: UInt16, _ entry: inout PacketMetadata, _ frame: inout UnsafeMutableRawPointer, batch: PacketBatch,
                vlan: UInt16) -> Bool {
        let slot = Int(port) < portSlot.count ? Int(portSlot[Int(port)]) : -1
        guard slot >= 0 else { return true }  // not a switch port: leave the frame as it is
        let tagged = entry.flags.contains(.vlanTagged)
        switch ports[slot].mode {
        case .access(let access):
            guard access == vlan else { return false }
            if tagged { popTag(&entry, &frame) }
        case .trunk(let vlans, let native):
            if native == vlan {
                if tagged { popTag(&entry, &frame) }
            } else {
                guard vlans.contains(vlan) else { return false }
                if !tagged {
                    pushTag(&entry, &frame, batch: batch, tpid: EtherType.vlan)
                    frame.storeNetworkUInt16(vlan & 0x0FFF, at: 14)
                }
            }
        }
        return true
    }

    func flood(inSlot: Int, vlan: UInt16) {
        floods &+= 1
        for (slot, port) in ports.enumerated() where slot != inSlot && carries(port, vlan) { outputs.append(port.number) }
    }

    func carries(_ port: Port, _ vlan: UInt16) -> Bool {
        switch port.mode {
        case .access(let access): access == vlan
        case .trunk(let vlans, let native): native == vlan || vlans.contains(vlan)
        }
    }

    /// L2 switching: learn the source, forward to the learnt port of the destination, or flood.
    /// Returns false when the destination was learnt on the port the frame came in on (a
    /// frame never goes back out of its own port).
    func normal(key: SwitchKey, inPort: UInt16, inSlot: Int, vlan: UInt16, now: UInt64) -> Bool {
        let source = key.ethSrc
        if source & 0x0100_0000_0000 == 0 {  // never learn a multicast source
            let slot = macSlot(source, vlan)
            let known = macs[slot].mac == source && macs[slot].vlan == vlan && macs[slot].port == inPort && macs[slot].expires > now
            if !known { macsLearned &+= 1 }
            macs[slot] = MACEntry(mac: source, vlan: vlan, port: inPort, expires: now &+ ageing)
        }
        let destination = key.ethDst
        if destination & 0x0100_0000_0000 == 0 {
            let slot = macSlot(destination, vlan)
            if macs[slot].mac == destination && macs[slot].vlan == vlan && macs[slot].expires > now {
                guard macs[slot].port != inPort else { return false }
                outputs.append(macs[slot].port)
                return true
            }
        }
        flood(inSlot: inSlot, vlan: vlan)
        return true
    }

    @inline(__always)
    func macSlot(_ mac: UInt64, _ vlan: UInt16) -> Int {
        Int(truncatingIfNeeded: ((mac ^ UInt64(vlan) << 48) &* 0x9E37_79B9_7F4A_7C15) >> 40) & macMask
    }

    /// The MAC table: (MAC, VLAN, port, seconds left) of entries alive at `now`.
    public func macTable(now: UInt64) -> [(mac: UInt64, vlan: UInt16, port: UInt16, secondsLeft: UInt64)] {
        (0...macMask).compactMap { slot in
            let entry = macs[slot]
            return entry.expires > now ? (entry.mac, entry.vlan, entry.port, (entry.expires - now) / 1_000_000_000) : nil
        }
    }

    /// Removes flows whose idle or hard timeout passed (checked once a second).
    func expireFlows(now: UInt64) {
        nextExpiryCheck = now &+ 1_000_000_000
        let second: UInt64 = 1_000_000_000
        var keep: [FlowEntry] = []
        var expired = false
        for (index, flow) in flows.enumerated() {
            let idle = flow.idleTimeout > 0 && now >= flowLastHit[index] &+ UInt64(flow.idleTimeout) &* second
            let hard = flow.hardTimeout > 0 && now >= flowInstalled[index] &+ UInt64(flow.hardTimeout) &* second
            if idle || hard {
                expired = true
                flowsExpired &+= 1
            } else {
                keep.append(flow)
            }
        }
        if expired { install(keep, now: now) }
    }

    // MARK: header rewriting

    func pushTag(_ entry: inout PacketMetadata, _ frame: inout UnsafeMutableRawPointer, batch: PacketBatch, tpid: UInt16) {
        guard entry.dataOffset >= 4 else { return }
        let moved = frame - 4
        moved.copyMemory(from: frame, byteCount: 12)
        moved.storeNetworkUInt16(tpid, at: 12)
        moved.storeNetworkUInt16(0, at: 14)
        entry.dataOffset -= 4
        entry.length += 4
        entry.l3Offset &+= 4
        entry.l4Offset &+= 4
        entry.flags.insert(.vlanTagged)
        frame = moved
    }

    func popTag(_ entry: inout PacketMetadata, _ frame: inout UnsafeMutableRawPointer) {
        let moved = frame + 4
        (frame + 4).copyMemory(from: UnsafeRawPointer(frame), byteCount: 12)
        entry.dataOffset += 4
        entry.length -= 4
        entry.l3Offset &-= 4
        entry.l4Offset &-= 4
        entry.flags.remove(.vlanTagged)
        frame = moved
    }

    func rewriteIPv4(_ frame: UnsafeMutableRawPointer, _ entry: PacketMetadata, source: Bool, _ address: UInt32, _ key: inout SwitchKey) {
        guard entry.flags.contains(.ipv4) else { return }
        let l3 = Int(entry.l3Offset)
        let offset = l3 + (source ? 12 : 16)
        let old = frame.loadNetworkUInt32(at: offset)
        frame.storeNetworkUInt32(address, at: offset)
        frame.storeNetworkUInt16(InternetChecksum.updated(frame.loadNetworkUInt16(at: l3 + 10), old: old, new: address), at: l3 + 10)
        if entry.flags.contains(.hasL4) {
            let l4 = Int(entry.l4Offset)
            if entry.ipProtocol == IPProtocol.tcp {
                frame.storeNetworkUInt16(InternetChecksum.updated(frame.loadNetworkUInt16(at: l4 + 16), old: old, new: address), at: l4 + 16)
            } else if entry.ipProtocol == IPProtocol.udp, frame.loadNetworkUInt16(at: l4 + 6) != 0 {
                let updated = InternetChecksum.updated(frame.loadNetworkUInt16(at: l4 + 6), old: old, new: address)
                frame.storeNetworkUInt16(updated == 0 ? 0xFFFF : updated, at: l4 + 6)
            }
        }
        let mapped = IPv6Address(ipv4Mapped: IPv4Address(rawValue: address))
        if source { key.ipSource = mapped } else { key.ipDestination = mapped }
    }

    func rewritePort(_ frame: UnsafeMutableRawPointer, _ entry: PacketMetadata, source: Bool, _ port: UInt16, _ key: inout SwitchKey) {
        guard entry.flags.contains(.hasL4), entry.ipProtocol == IPProtocol.tcp || entry.ipProtocol == IPProtocol.udp else { return }
        let l4 = Int(entry.l4Offset)
        let offset = l4 + (source ? 0 : 2)
        let old = frame.loadNetworkUInt16(at: offset)
        frame.storeNetworkUInt16(port, at: offset)
        let checksumOffset = l4 + (entry.ipProtocol == IPProtocol.tcp ? 16 : 6)
        let current = frame.loadNetworkUInt16(at: checksumOffset)
        if entry.ipProtocol == IPProtocol.tcp || current != 0 {
            let updated = InternetChecksum.updated(current, old: old, new: port)
            frame.storeNetworkUInt16(entry.ipProtocol == IPProtocol.udp && updated == 0 ? 0xFFFF : updated, at: checksumOffset)
        }
        if source { key.transportSource = port } else { key.transportDestination = port }
    }
}

extension UnsafeMutableRawPointer {
    @inlinable
    func storeMAC(_ mac: UInt64, at offset: Int) {
        storeNetworkUInt16(UInt16(truncatingIfNeeded: mac >> 32), at: offset)
        storeNetworkUInt32(UInt32(truncatingIfNeeded: mac), at: offset + 2)
    }
}
