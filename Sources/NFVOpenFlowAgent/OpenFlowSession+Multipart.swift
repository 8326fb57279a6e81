import NFVOpenFlow
import NFVSwitch

extension OpenFlowSession {
    /// The reply messages to a multipart request; long replies are split, every message but
    /// the last flagged OFPMPF_REPLY_MORE.
    func multipart(_ request: OpenFlowMultipartRequest) throws(OpenFlowError) -> [OpenFlowMessage] {
        switch request {
        case .description:
            return [
                .multipartReply(
                    flags: 0,
                    .description(
                        OpenFlowSwitchDescription(
                            manufacturer: "nfv-platform", hardware: "user-space data plane on TAP ports",
                            software: settings.softwareVersion, serialNumber: "", datapath: settings.datapathDescription)))
            ]
        case .flow(let filter):
            let stats = try selectedRecords(filter).map { record in
                OpenFlowFlowStats(
                    tableID: record.flow.table, durationSeconds: UInt32(record.seconds),
                    durationNanoseconds: UInt32((record.seconds - record.seconds.rounded(.down)) * 1e9), priority: record.flow.priority,
                    idleTimeout: record.flow.idleTimeout, hardTimeout: record.flow.hardTimeout, flags: record.flow.sendsFlowRemoved ? 1 : 0,
                    cookie: record.flow.cookie,
                    packetCount: record.packets, byteCount: record.bytes, match: OpenFlowMatchTranslator.openFlowMatch(record.flow.match),
                    instructions: OpenFlowActionTranslator.instructions(record.flow.actions, ipProtocol: Self.ipProtocol(record.flow.match)))
            }
            return split(stats) { .flow($0) }
        case .aggregate(let filter):
            let records = try selectedRecords(filter)
            return [
                .multipartReply(
                    flags: 0,
                    .aggregate(
                        packetCount: records.reduce(0) { $0 &+ $1.packets }, byteCount: records.reduce(0) { $0 &+ $1.bytes },
                        flowCount: UInt32(records.count)))
            ]
        case .table:
            let records = datapath.flowRecords()
            let tables = (0..<settings.tableCount).map { table in
                let members = records.filter { Int($0.flow.table) == table }
                let matched = members.reduce(0) { $0 &+ $1.packets }
                // The switch counts hits per flow, not lookups per table: lookups shown are the hits.
                return OpenFlowTableStats(tableID: UInt8(table), activeCount: UInt32(members.count), lookupCount: matched, matchedCount: matched)
            }
            return [.multipartReply(flags: 0, .table(tables))]
        case .portStats(let port):
            let all = datapath.portStatistics()
            guard port == OpenFlowAction.any || all.contains(where: { $0.portNumber == port }) else { throw Self.badRequest(11) }  // BAD_PORT
            return [.multipartReply(flags: 0, .portStats(all.filter { port == OpenFlowAction.any || $0.portNumber == port }))]
        case .portDescription: return [.multipartReply(flags: 0, .portDescription(datapath.portDescriptions()))]
        case .tableFeatures(let tables):
            guard tables.isEmpty else { throw OpenFlowError(type: 13, code: 5) }  // TABLE_FEATURES_FAILED / EPERM: fixed tables
            return split((0..<settings.tableCount).map(tableFeatures)) { .tableFeatures($0) }
        case .groupDescription:
            let groups = datapath.program().groups.values.sorted { $0.id < $1.id }
            return split(groups.map(OpenFlowGroupEditor.description)) { .groupDescription($0) }
        case .groupStats(let id):
            let program = datapath.program()
            let chosen = try Self.chosen(program.groups, id, all: OpenFlowGroupMod.all, unknown: OpenFlowError(type: 6, code: 8))  // UNKNOWN_GROUP
            let now = ContinuousClock.now
            let stats = chosen.map { group in
                let (seconds, nanoseconds) = Self.duration(since: group.counters.created, now: now)
                return OpenFlowGroupStats(
                    groupID: group.id,
                    referenceCount: UInt32(program.flows.filter { OpenFlowGroupEditor.sends($0.actions, toAnyOf: [group.id]) }.count),
                    packetCount: group.counters.packets, byteCount: group.counters.bytes, durationSeconds: seconds,
                    durationNanoseconds: nanoseconds, buckets: group.counters.buckets.map { OpenFlowCounter(packets: $0.packets, bytes: $0.bytes) })
            }
            return split(stats) { .groupStats($0) }
        case .groupFeatures:
            // Types ALL, SELECT, INDIRECT, FF; capabilities SELECT_WEIGHT and SELECT_LIVENESS;
            // actions OUTPUT, PUSH_VLAN, POP_VLAN, DEC_NW_TTL, SET_FIELD in every type.
            let actions: UInt32 = 1 << 0 | 1 << 17 | 1 << 18 | 1 << 24 | 1 << 25
            let capacity = UInt32(groupEditor.capacity)
            return [
                .multipartReply(
                    flags: 0,
                    .groupFeatures(
                        OpenFlowGroupFeatures(
                            types: 0xF, capabilities: 1 << 0 | 1 << 1, maxGroups: [capacity, capacity, capacity, capacity],
                            actions: [actions, actions, actions, actions])))
            ]
        case .meterStats(let id):
            let program = datapath.program()
            let chosen = try Self.chosen(program.meters, id, all: OpenFlowMeterMod.all, unknown: OpenFlowError(type: 12, code: 3))  // UNKNOWN_METER
            let now = ContinuousClock.now
            let stats = chosen.map { meter in
                let (seconds, nanoseconds) = Self.duration(since: meter.state.created, now: now)
                let uses = program.flows.filter { $0.actions.contains(.meter(meter.id)) }.count
                return OpenFlowMeterStats(
                    meterID: meter.id, flowCount: UInt32(uses), packetInCount: meter.state.packets, byteInCount: meter.state.bytes,
                    durationSeconds: seconds, durationNanoseconds: nanoseconds,
                    bands: meter.state.bands.map { OpenFlowCounter(packets: $0.packets, bytes: $0.bytes) })
            }
            return split(stats) { .meterStats($0) }
        case .meterConfig(let id):
            let program = datapath.program()
            let meters = try Self.chosen(program.meters, id, all: OpenFlowMeterMod.all, unknown: OpenFlowError(type: 12, code: 3))
            return split(meters.map(OpenFlowMeterEditor.configuration)) { .meterConfig($0) }
        case .meterFeatures:
            // Bands DROP and DSCP_REMARK; capabilities KBPS, PKTPS, BURST, STATS.
            return [
                .multipartReply(
                    flags: 0,
                    .meterFeatures(
                        OpenFlowMeterFeatures(
                            maxMeters: UInt32(meterEditor.capacity), bandTypes: 1 << 1 | 1 << 2, capabilities: 0xF,
                            maxBands: UInt8(meterEditor.bandCapacity), maxColor: 0)))
            ]
        case .other: throw Self.badRequest(2)  // BAD_MULTIPART
        }
    }

    /// The flows a FLOW or AGGREGATE request selects (the loose rules of a non-strict delete).
    func selectedRecords(_ filter: OpenFlowFlowFilter) throws(OpenFlowError) -> [OpenFlowFlowRecord] {
        guard filter.tableID == OpenFlowFlowFilter.allTables || Int(filter.tableID) < settings.tableCount else { throw Self.badRequest(9) }
        let match = try OpenFlowMatchTranslator.flowMatch(filter.match, ports: datapath.switchPorts)
        let records = datapath.flowRecords()
        let request = OpenFlowFlowMod(cookie: filter.cookie, cookieMask: filter.cookieMask, tableID: filter.tableID)
        let selected = editor.select(
            records.map(\.flow), request, match: match, strict: false, outPort: filter.outPort, outGroup: filter.outGroup)
        return selected.map { records[$0] }
    }

    /// The entries a GROUP or METER request names, in id order: one, or every one for `all`;
    /// `unknown` when the one does not exist.
    static func chosen<Entry>(_ table: [UInt32: Entry], _ id: UInt32, all: UInt32, unknown: OpenFlowError) throws(OpenFlowError) -> [Entry] {
        if id == all { return table.sorted { $0.key < $1.key }.map(\.value) }
        guard let entry = table[id] else { throw unknown }
        return [entry]
    }

    /// Seconds and nanoseconds from `start` to `now` (a group's or meter's duration).
    static func duration(since start: ContinuousClock.Instant, now: ContinuousClock.Instant) -> (UInt32, UInt32) {
        let elapsed = (now - start).components
        return (UInt32(clamping: elapsed.seconds), UInt32(clamping: elapsed.attoseconds / 1_000_000_000))
    }

    /// The flow's IP protocol when it matches one exactly (0 otherwise).
    static func ipProtocol(_ match: FlowMatch) -> UInt8 { match.mask.ipProtocol == 0xFF ? match.value.ipProtocol : 0 }

    /// `entries` in as many reply messages as it takes to keep each under the budget.
    func split<Entry>(_ entries: [Entry], _ body: ([Entry]) -> OpenFlowMultipartReply) -> [OpenFlowMessage] {
        var messages: [[Entry]] = [[]]
        var size = 0
        for entry in entries {
            let entrySize = OpenFlowCodec.encode(OpenFlowFrame(xid: 0, message: .multipartReply(flags: 0, body([entry])))).count - 16
            if size + entrySize > Self.multipartBudget, !messages[messages.count - 1].isEmpty {
                messages.append([])
                size = 0
            }
            messages[messages.count - 1].append(entry)
            size += entrySize
        }
        return messages.indices.map { index in .multipartReply(flags: index < messages.count - 1 ? 1 : 0, body(messages[index])) }
    }

    /// What table `table` takes: meter, apply, write and clear actions, goto_table (to any later table), the
    /// actions and set-fields the translator accepts, and the fields the switch key holds.
    func tableFeatures(_ table: Int) -> OpenFlowTableFeatures {
        let later = (table + 1..<settings.tableCount).map { UInt8($0) }
        // GOTO_TABLE 1, WRITE_METADATA 2, WRITE_ACTIONS 3, APPLY_ACTIONS 4, CLEAR_ACTIONS 5, METER 6.
        let instructions: [UInt16] = later.isEmpty ? [2, 3, 4, 5, 6] : [1, 2, 3, 4, 5, 6]
        let actions: [UInt16] = [0, 17, 18, 22, 24, 25]  // OUTPUT, PUSH_VLAN, POP_VLAN, GROUP, DEC_NW_TTL, SET_FIELD
        let matchFields = OpenFlowMatchTranslator.supported.sorted { $0.key < $1.key }.map {
            (field: $0.key, length: UInt8($0.value.length), maskable: $0.value.maskable)
        }
        // WILDCARDS lists the fields that may be left out, without the mask bit (Open vSwitch
        // refuses masked headers there).
        let wildcards = matchFields.map { (field: $0.field, length: $0.length, maskable: false) }
        let setFields = [3, 4, 6, 11, 12, 13, 14, 15, 16].compactMap { number in
            OpenFlowMatchTranslator.supported[UInt8(number)].map { (field: UInt8(number), length: UInt8($0.length), maskable: false) }
        }
        typealias Property = OpenFlowTableFeatures.Property
        return OpenFlowTableFeatures(
            tableID: UInt8(table), name: "table\(table)", metadataMatch: .max, metadataWrite: .max, config: 0,
            maxEntries: UInt32(settings.flowCapacity),
            properties: [
                Property.instructions(instructions), Property.instructions(instructions, miss: true), Property.nextTables(later),
                Property.nextTables(later, miss: true), Property.actions(actions, type: 4), Property.actions(actions, type: 5),
                Property.actions(actions, type: 6), Property.actions(actions, type: 7), Property.fields(matchFields, type: 8),
                Property.fields(wildcards, type: 10), Property.fields(setFields, type: 12), Property.fields(setFields, type: 13),
                Property.fields(setFields, type: 14), Property.fields(setFields, type: 15),
            ])
    }
}
