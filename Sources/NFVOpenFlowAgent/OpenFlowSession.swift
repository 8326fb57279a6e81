import NFVOpenFlow
import NFVSwitch

/// One OpenFlow channel's conversation, without the socket: whole messages in, the messages
/// to send back out. It negotiates the version (HELLO with a version bitmap; 1.3 only),
/// answers ECHO, FEATURES, GET_CONFIG, BARRIER, ROLE, GET_ASYNC and the multipart requests,
/// applies FLOW_MODs to the datapath, and answers anything it cannot take with the spec's
/// ERROR (its xid and the offending message's first 64 bytes), staying up.
///
/// Packets flows send to the controller go out as PACKET_IN (`packetIn`); PACKET_OUT enters
/// the switch; PORT_MOD sets a port down or up, and port changes go out as PORT_STATUS; flows
/// added with OFPFF_SEND_FLOW_REM are reported when they time out or are deleted (FLOW_REMOVED).
/// GROUP_MOD and METER_MOD edit the group table and the meters (`OpenFlowGroupEditor`,
/// `OpenFlowMeterEditor`), which flows name with GROUP actions and meter instructions.
public final class OpenFlowSession {
    /// What the agent tells every session about the switch.
    public struct Settings: Sendable {
        public var datapathID: UInt64
        public var tableCount: Int
        /// Most flows over all tables.
        public var flowCapacity: Int
        /// OFPMP_DESC's datapath text (which chain and stage this is).
        public var datapathDescription: String
        public var softwareVersion: String

        public init(datapathID: UInt64, tableCount: Int, flowCapacity: Int, datapathDescription: String, softwareVersion: String) {
            self.datapathID = datapathID
            self.tableCount = tableCount
            self.flowCapacity = flowCapacity
            self.datapathDescription = datapathDescription
            self.softwareVersion = softwareVersion
        }
    }

    let datapath: any OpenFlowDatapath
    let settings: Settings
    let editor: OpenFlowFlowEditor
    let groupEditor: OpenFlowGroupEditor
    let meterEditor = OpenFlowMeterEditor()
    let statistics: OpenFlowStatistics
    /// True once the peer's HELLO named 1.3.
    public private(set) var negotiated = false
    /// True when the session must end (the versions did not match).
    public private(set) var closing = false
    var config = OpenFlowSwitchConfig(flags: 0, missSendLength: 128)
    var asyncConfig = OpenFlowAsyncConfig(packetInMask: [3, 0], portStatusMask: [7, 7], flowRemovedMask: [15, 0])
    var generationID: UInt64?
    var role: UInt32 = 1  // OFPCR_ROLE_EQUAL
    /// Set by a PORT_MOD: the agent looks for port changes to report at once.
    public internal(set) var portsChanged = false
    /// Replies longer than this are split into several multipart messages.
    static let multipartBudget = 60_000

    public init(datapath: any OpenFlowDatapath, settings: Settings, statistics: OpenFlowStatistics = OpenFlowStatistics()) {
        self.datapath = datapath
        self.settings = settings
        self.statistics = statistics
        self.editor = OpenFlowFlowEditor(ports: datapath.switchPorts, tableCount: settings.tableCount, capacity: settings.flowCapacity)
        self.groupEditor = OpenFlowGroupEditor(ports: datapath.switchPorts)
    }

    /// The switch's HELLO, sent as soon as the connection is up.
    public func greeting() -> [UInt8] { OpenFlowCodec.encode(OpenFlowFrame(xid: 0, message: .hello(versions: [OpenFlowFrame.version13]))) }

    /// The replies to one whole message (as long as its header says).
    public func receive(_ bytes: ArraySlice<UInt8>) -> [[UInt8]] {
        let xid = bytes.count >= 8 ? bytes.dropFirst(4).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } : 0
        statistics.update { $0.messagesReceived &+= 1 }
        let frame: OpenFlowFrame
        do { frame = try OpenFlowCodec.decode(bytes) } catch { return [failure(xid, error)] }
        do {
            return try answer(frame).map { reply(xid, $0) }
        } catch {
            var error = error
            error.data = Array(bytes.prefix(64))
            return [failure(xid, error)]
        }
    }

    /// The ERROR for `error`, counted.
    func failure(_ xid: UInt32, _ error: OpenFlowError) -> [UInt8] {
        statistics.update { $0.errors["\(error.type)/\(error.code)", default: 0] &+= 1 }
        return reply(xid, .error(error))
    }

    func reply(_ xid: UInt32, _ message: OpenFlowMessage) -> [UInt8] { OpenFlowCodec.encode(OpenFlowFrame(xid: xid, message: message)) }

    static func badRequest(_ code: UInt16) -> OpenFlowError { OpenFlowError(type: OpenFlowError.badRequest, code: code) }

    func answer(_ frame: OpenFlowFrame) throws(OpenFlowError) -> [OpenFlowMessage] {
        switch frame.message {
        case .hello(let versions):
            let common = versions.isEmpty ? frame.version >= OpenFlowFrame.version13 : versions.contains(OpenFlowFrame.version13)
            guard common else {
                closing = true
                throw OpenFlowError.incompatible()
            }
            negotiated = true
            return []
        case .echoRequest(let data): return [.echoReply(data)]
        case .echoReply, .error: return []
        case .featuresRequest:
            // FLOW_STATS 1, TABLE_STATS 2, PORT_STATS 4.
            return [
                .featuresReply(
                    OpenFlowFeatures(
                        datapathID: settings.datapathID, bufferCount: 0, tableCount: UInt8(settings.tableCount), auxiliaryID: 0,
                        capabilities: 1 | 2 | 4))
            ]
        case .getConfigRequest: return [.getConfigReply(config)]
        case .setConfig(let newConfig):
            config = newConfig
            return []
        case .barrierRequest: return [.barrierReply]
        case .roleRequest(let requested, let generation):
            return [try roleReply(requested, generation)]
        case .getAsyncRequest: return [.getAsyncReply(asyncConfig)]
        case .setAsync(let newConfig):
            asyncConfig = newConfig
            return []
        case .flowMod(let flowMod):
            guard role != 3 else { throw Self.badRequest(10) }  // IS_SLAVE
            // A delete reports the flows that asked for it (OFPRR_DELETE), with their counters.
            let before = flowMod.command >= 3 ? datapath.flowRecords() : []
            var removed: [FlowEntry] = []
            try datapath.editProgram { (program: inout SwitchProgram) throws(OpenFlowError) in
                let current = program
                removed = try editor.apply(flowMod, to: &program.flows, program: current)
            }
            statistics.update { $0.flowModsApplied &+= 1 }
            return removedMessages(removed, before: before, reason: 2)  // OFPRR_DELETE
        case .groupMod(let groupMod):
            return try editProgram(deleting: groupMod.command == 2, reason: 3) { (program: inout SwitchProgram) throws(OpenFlowError) in
                try groupEditor.apply(groupMod, to: &program)  // OFPRR_GROUP_DELETE for the flows that go with a group
            }
        case .meterMod(let meterMod):
            return try editProgram(deleting: meterMod.command == 2, reason: 2) { (program: inout SwitchProgram) throws(OpenFlowError) in
                try meterEditor.apply(meterMod, to: &program)  // OFPRR_DELETE: 1.3 has no meter reason
            }
        case .tableMod(let table, _):
            guard table == OpenFlowFlowFilter.allTables || Int(table) < settings.tableCount else {
                throw OpenFlowError(type: 8, code: 0)  // TABLE_MOD_FAILED / BAD_TABLE
            }
            return []  // 1.3's table config bits are deprecated: nothing to change
        case .multipartRequest(_, let request): return try multipart(request)
        case .packetOut(let packetOut):
            guard role != 3 else { throw Self.badRequest(10) }  // IS_SLAVE
            guard packetOut.bufferID == 0xFFFF_FFFF else { throw Self.badRequest(8) }  // BUFFER_UNKNOWN: no buffers
            var inPort: UInt16?
            if packetOut.inPort != OpenFlowAction.controller && packetOut.inPort != OpenFlowAction.any {
                let ports = datapath.switchPorts
                guard packetOut.inPort >= 1, packetOut.inPort <= UInt32(UInt16.max), ports.contains(UInt16(packetOut.inPort - 1)) else {
                    throw Self.badRequest(11)  // BAD_PORT
                }
                inPort = UInt16(packetOut.inPort - 1)
            }
            let actions = try OpenFlowActionTranslator.packetOutActions(
                packetOut.actions, inPort: inPort, ports: datapath.switchPorts, groups: datapath.program().groups)
            guard !packetOut.data.isEmpty else { throw Self.badRequest(12) }  // BAD_PACKET
            try datapath.packetOut(packetOut.data, inPort: inPort, actions: actions)
            statistics.update { $0.packetOuts &+= 1 }
            return []
        case .portMod(let portMod):
            guard role != 3 else { throw Self.badRequest(10) }  // IS_SLAVE
            // OFPET_PORT_MOD_FAILED: BAD_PORT 0, BAD_HW_ADDR 1, BAD_CONFIG 2.
            guard let port = datapath.portDescriptions().first(where: { $0.portNumber == portMod.portNumber }) else {
                throw OpenFlowError(type: 7, code: 0)
            }
            guard port.hardwareAddress == portMod.hardwareAddress else { throw OpenFlowError(type: 7, code: 1) }
            guard portMod.mask & ~1 == 0 else { throw OpenFlowError(type: 7, code: 2) }  // only OFPPC_PORT_DOWN
            if portMod.mask & 1 != 0 { try datapath.setPort(UInt16(portMod.portNumber - 1), down: portMod.config & 1 != 0) }
            portsChanged = true
            return []
        case .experimenter: throw Self.badRequest(3)  // BAD_EXPERIMENTER
        default: throw Self.badRequest(1)  // BAD_TYPE
        }
    }

    /// A GROUP_MOD or METER_MOD: `edit` changes the program and returns the flows it took out,
    /// which are reported with FLOW_REMOVED for `reason` (their counters read before a delete).
    func editProgram(
        deleting: Bool, reason: UInt8, _ edit: (inout SwitchProgram) throws(OpenFlowError) -> [FlowEntry]
    ) throws(OpenFlowError) -> [OpenFlowMessage] {
        guard role != 3 else { throw Self.badRequest(10) }  // IS_SLAVE
        let before = deleting ? datapath.flowRecords() : []
        var removed: [FlowEntry] = []
        try datapath.editProgram { (program: inout SwitchProgram) throws(OpenFlowError) in removed = try edit(&program) }
        return removedMessages(removed, before: before, reason: reason)
    }

    /// FLOW_REMOVED for the flows of `removed` that asked for it, with their counters from `before`.
    func removedMessages(_ removed: [FlowEntry], before: [OpenFlowFlowRecord], reason: UInt8) -> [OpenFlowMessage] {
        removed.filter(\.sendsFlowRemoved).compactMap { flow in
            let record = before.first { $0.flow == flow } ?? OpenFlowFlowRecord(flow: flow, packets: 0, bytes: 0, seconds: 0)
            return flowRemovedMessage(record, reason: reason)
        }
    }

    /// The PACKET_IN for `event`, unless this controller's async config leaves its reason out
    /// (or the version is not agreed yet). No buffering: the whole frame goes.
    public func packetIn(_ event: OpenFlowPacketInEvent) -> [UInt8]? {
        guard negotiated else { return nil }
        let mask = role == 3 ? asyncConfig.packetInMask.last ?? 0 : asyncConfig.packetInMask.first ?? 0
        guard mask & (1 << UInt32(event.reason)) != 0 else { return nil }
        let packetIn = OpenFlowPacketIn(
            totalLength: UInt16(truncatingIfNeeded: event.frame.count), reason: event.reason, tableID: event.tableID, cookie: event.cookie,
            match: OpenFlowMatch(fields: [OXMField(field: 0, value: OpenFlowMatchTranslator.bytes(UInt64(event.inPort) + 1, 4))]),
            data: event.frame)
        statistics.update { $0.packetIns &+= 1 }
        return OpenFlowCodec.encode(OpenFlowFrame(xid: 0, message: .packetIn(packetIn)))
    }

    /// The FLOW_REMOVED for a flow that went (`reason`: OFPRR_IDLE_TIMEOUT 0, HARD_TIMEOUT 1,
    /// DELETE 2), unless this controller's async config leaves the reason out.
    public func flowRemoved(_ record: OpenFlowFlowRecord, reason: UInt8) -> [UInt8]? {
        flowRemovedMessage(record, reason: reason).map { OpenFlowCodec.encode(OpenFlowFrame(xid: 0, message: $0)) }
    }

    func flowRemovedMessage(_ record: OpenFlowFlowRecord, reason: UInt8) -> OpenFlowMessage? {
        guard negotiated else { return nil }
        let mask = role == 3 ? asyncConfig.flowRemovedMask.last ?? 0 : asyncConfig.flowRemovedMask.first ?? 0
        guard mask & (1 << UInt32(reason)) != 0 else { return nil }
        let flow = record.flow
        return .flowRemoved(
            OpenFlowFlowRemoved(
                cookie: flow.cookie, priority: flow.priority, reason: reason, tableID: flow.table, durationSeconds: UInt32(record.seconds),
                durationNanoseconds: UInt32((record.seconds - record.seconds.rounded(.down)) * 1e9), idleTimeout: flow.idleTimeout,
                hardTimeout: flow.hardTimeout, packetCount: record.packets, byteCount: record.bytes,
                match: OpenFlowMatchTranslator.openFlowMatch(flow.match)))
    }

    /// The PORT_STATUS for a port that changed (`reason`: OFPPR_ADD 0, DELETE 1, MODIFY 2),
    /// unless this controller's async config leaves the reason out.
    public func portStatus(_ port: OpenFlowPort, reason: UInt8) -> [UInt8]? {
        guard negotiated else { return nil }
        let mask = role == 3 ? asyncConfig.portStatusMask.last ?? 0 : asyncConfig.portStatusMask.first ?? 0
        guard mask & (1 << UInt32(reason)) != 0 else { return nil }
        return OpenFlowCodec.encode(OpenFlowFrame(xid: 0, message: .portStatus(reason: reason, port: port)))
    }

    /// ROLE_REQUEST: one controller role at a time; EQUAL and MASTER are granted (the switch
    /// does not arbitrate between controllers), SLAVE is refused as unsupported.
    func roleReply(_ requested: UInt32, _ generation: UInt64) throws(OpenFlowError) -> OpenFlowMessage {
        switch requested {
        case 0: break  // NOCHANGE
        case 1: role = 1
        case 2:
            if let current = generationID, Int64(bitPattern: generation &- current) < 0 {
                throw OpenFlowError(type: 11, code: 0)  // ROLE_REQUEST_FAILED / STALE
            }
            generationID = generation
            role = 2
        case 3: throw OpenFlowError(type: 11, code: 1)  // UNSUP
        default: throw OpenFlowError(type: 11, code: 2)  // BAD_ROLE
        }
        return .roleReply(role: role, generationID: generationID ?? 0)
    }
}
