import Foundation
import NFVOpenFlow
import NFVOpenFlowAgent
import NFVSwitch
import Synchronization
import Testing

/// The agent over a real loopback TCP connection, driven byte by byte as a controller would:
/// what breaks the spec gets the spec's ERROR with the offending xid and the channel stays up;
/// a controller flooding FLOW_MODs is held at the flow capacity with TABLE_FULL errors.
@Suite(.serialized) struct OpenFlowAgentTests {
    /// A switch of three ports whose flows live in memory.
    final class MemoryDatapath: OpenFlowDatapath, @unchecked Sendable {
        let programs = Mutex(SwitchProgram())
        var switchPorts: Set<UInt16> { [0, 1, 2] }
        func portDescriptions() -> [OpenFlowPort] {
            switchPorts.sorted().map { number in
                let down = downPorts.withLock { $0.contains(number) }
                return OpenFlowPort(
                    portNumber: UInt32(number) + 1, hardwareAddress: [2, 0, 0, 0, 0, UInt8(number)], name: "p\(number)", config: down ? 1 : 0,
                    state: down ? 1 : 4)
            }
        }
        func portStatistics() -> [OpenFlowPortStats] { switchPorts.sorted().map { OpenFlowPortStats(portNumber: UInt32($0) + 1) } }
        func flowRecords() -> [OpenFlowFlowRecord] {
            programs.withLock { $0.flows.map { OpenFlowFlowRecord(flow: $0, packets: 0, bytes: 0, seconds: 0) } }
        }
        let sent = Mutex<[(frame: [UInt8], inPort: UInt16?, actions: [FlowAction]?)]>([])
        let punted = Mutex<[OpenFlowPacketInEvent]>([])
        let notify = Mutex<@Sendable () -> Void>({})
        func packetOut(_ frame: [UInt8], inPort: UInt16?, actions: [FlowAction]?) throws(OpenFlowError) {
            sent.withLock { $0.append((frame, inPort, actions)) }
        }
        let downPorts = Mutex<Set<UInt16>>([])
        func setPort(_ port: UInt16, down: Bool) throws(OpenFlowError) {
            downPorts.withLock { if down { $0.insert(port) } else { $0.remove(port) } }
        }
        func connectController(_ notify: @escaping @Sendable () -> Void) { self.notify.withLock { $0 = notify } }
        func takePacketIns() -> [OpenFlowPacketInEvent] {
            punted.withLock { waiting in
                defer { waiting.removeAll() }
                return waiting
            }
        }
        let timedOut = Mutex<[(record: OpenFlowFlowRecord, hard: Bool)]>([])
        func takeTimedOutFlows() -> [(record: OpenFlowFlowRecord, hard: Bool)] {
            timedOut.withLock { waiting in
                defer { waiting.removeAll() }
                return waiting
            }
        }
        /// A flow a worker timed out, as the data plane would report it.
        func timeOut(_ flow: FlowEntry, hard: Bool) {
            programs.withLock { $0.flows.removeAll { $0 == flow } }
            timedOut.withLock { $0.append((OpenFlowFlowRecord(flow: flow, packets: 3, bytes: 180, seconds: 2.5), hard)) }
            notify.withLock { $0 }()
        }
        /// A packet a flow punted, as a worker would post it.
        func punt(_ event: OpenFlowPacketInEvent) {
            punted.withLock { $0.append(event) }
            notify.withLock { $0 }()
        }
        func program() -> SwitchProgram { programs.withLock { $0 } }
        func editProgram(_ edit: (inout SwitchProgram) throws(OpenFlowError) -> Void) throws(OpenFlowError) {
            try programs.withLock { (current: inout SwitchProgram) throws(OpenFlowError) in
                var copy = current
                try edit(&copy)
                current = copy
            }
        }
    }

    /// A controller's end of the channel: send messages, read whole replies.
    final class Peer {
        let fd: Int32
        var buffer: [UInt8] = []

        init(port: UInt16) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var timeout = timeval(tv_sec: 3, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(connected == 0, "connect to the agent: \(String(cString: strerror(errno)))")
        }

        deinit { close(fd) }

        func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, 0) } }
        func send(_ frame: OpenFlowFrame) { send(OpenFlowCodec.encode(frame)) }

        /// The next whole message, or nil when the connection closed or went quiet.
        func next() -> OpenFlowFrame? {
            while true {
                if let length = OpenFlowCodec.announcedLength(buffer[...]), buffer.count >= length, length >= 8 {
                    let message = buffer[..<length]
                    buffer.removeFirst(length)
                    return try? OpenFlowCodec.decode(message)
                }
                var chunk = [UInt8](repeating: 0, count: 65_536)
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard count > 0 else { return nil }
                buffer += chunk[..<count]
            }
        }
    }

    static func start(capacity: Int = 100) throws -> (OpenFlowAgent, MemoryDatapath, UInt16) {
        let datapath = MemoryDatapath()
        for attempt in 0..<20 {
            let port = UInt16(30_000 + Int(getpid() % 10_000) + attempt * 7)
            let settings = OpenFlowSettings(datapathID: 0xAB, listen: [.tcp(address: .init(127, 0, 0, 1), port: port)], flowCapacity: capacity)
            let session = OpenFlowSession.Settings(
                datapathID: 0xAB, tableCount: 4, flowCapacity: capacity, datapathDescription: "test", softwareVersion: "test")
            if let agent = try? OpenFlowAgent(settings: settings, session: session, datapath: datapath, log: { _ in }) {
                return (agent, datapath, port)
            }
        }
        throw OpenFlowAgentError("no free port")
    }

    /// A peer past the version handshake.
    static func connected(_ port: UInt16) throws -> Peer {
        let peer = try Peer(port: port)
        let hello = try #require(peer.next())
        #expect(hello.message == .hello(versions: [4]))
        peer.send(OpenFlowFrame(xid: 1, message: .hello(versions: [1, 4])))
        return peer
    }

    static func flowMod(_ match: [OXMField], priority: UInt16 = 100, xid: UInt32) -> OpenFlowFrame {
        OpenFlowFrame(
            xid: xid,
            message: .flowMod(
                OpenFlowFlowMod(
                    priority: priority, match: OpenFlowMatch(fields: match),
                    instructions: [.applyActions([.output(port: 2, maxLength: 0)])])))
    }

    @Test func badMessagesGetTheSpecsErrorAndTheChannelStaysUp() throws {
        let (agent, datapath, port) = try Self.start()
        defer { agent.stop() }
        let peer = try Self.connected(port)
        func expectError(_ type: UInt16, _ code: UInt16, xid: UInt32, _ comment: Comment) {
            let reply = peer.next()
            #expect(reply?.xid == xid, comment)
            guard case .error(let error) = reply?.message else {
                Issue.record("\(comment): expected an error, got \(String(describing: reply))")
                return
            }
            #expect(error.type == type && error.code == code, comment)
            #expect(!error.data.isEmpty, "\(comment): the error quotes the message")
        }
        // Truncated: a FLOW_MOD of 16 bytes (header and 8 of its 48-byte body).
        peer.send([4, 14, 0, 16, 0, 0, 0, 21] + [UInt8](repeating: 0, count: 8))
        expectError(1, 6, xid: 21, "a truncated FLOW_MOD is OFPBRC_BAD_LEN")
        // Oversized: a FEATURES_REQUEST announcing 16 bytes (it has no body).
        peer.send([4, 5, 0, 16, 0, 0, 0, 22] + [UInt8](repeating: 0, count: 8))
        expectError(1, 6, xid: 22, "an oversized FEATURES_REQUEST is OFPBRC_BAD_LEN")
        // Unknown type.
        peer.send([4, 99, 0, 8, 0, 0, 0, 23])
        expectError(1, 1, xid: 23, "an unknown type is OFPBRC_BAD_TYPE")
        // tcp_dst without ip_proto=6 (and without eth_type): OFPBMC_BAD_PREREQ.
        peer.send(Self.flowMod([OXMField(field: 14, value: [0, 80])], xid: 24))
        expectError(4, 9, xid: 24, "a match without its prerequisite is OFPBMC_BAD_PREREQ")
        // The same field twice: OFPBMC_DUP_FIELD; a field the switch does not hold: BAD_FIELD.
        peer.send(Self.flowMod([OXMField(field: 5, value: [8, 0]), OXMField(field: 5, value: [8, 0])], xid: 25))
        expectError(4, 10, xid: 25, "a duplicate field is OFPBMC_DUP_FIELD")
        peer.send(Self.flowMod([OXMField(field: 38, value: [0, 0, 0, 0, 0, 0, 0, 1])], xid: 26))
        expectError(4, 6, xid: 26, "tunnel_id is OFPBMC_BAD_FIELD here")
        // Output to a port the switch does not have: OFPBAC_BAD_OUT_PORT.
        peer.send(
            OpenFlowFrame(
                xid: 27, message: .flowMod(OpenFlowFlowMod(instructions: [.applyActions([.output(port: 9, maxLength: 0)])]))))
        expectError(2, 4, xid: 27, "output to port 9 is OFPBAC_BAD_OUT_PORT")
        #expect(datapath.programs.withLock { $0.flows.isEmpty }, "nothing refused was installed")
        // Still up: ECHO and BARRIER are answered, a good FLOW_MOD lands.
        peer.send(OpenFlowFrame(xid: 30, message: .echoRequest([1, 2, 3])))
        #expect(peer.next() == OpenFlowFrame(xid: 30, message: .echoReply([1, 2, 3])))
        peer.send(Self.flowMod([OXMField(field: 5, value: [8, 0]), OXMField(field: 10, value: [6]), OXMField(field: 14, value: [0, 80])], xid: 31))
        peer.send(OpenFlowFrame(xid: 32, message: .barrierRequest))
        #expect(peer.next() == OpenFlowFrame(xid: 32, message: .barrierReply))
        #expect(datapath.programs.withLock { $0.flows.count } == 1)
    }

    @Test func groupAndMeterModsGetTheSpecsErrorsAndDeletesTakeTheirFlows() throws {
        let (agent, datapath, port) = try Self.start()
        defer { agent.stop() }
        let peer = try Self.connected(port)
        /// The reply to `message` (xid `xid`), after a barrier: nil when it went through.
        func send(_ message: OpenFlowMessage, xid: UInt32) -> OpenFlowError? {
            peer.send(OpenFlowFrame(xid: xid, message: message))
            peer.send(OpenFlowFrame(xid: xid + 10_000, message: .barrierRequest))
            var error: OpenFlowError?
            while let reply = peer.next(), reply.message != .barrierReply {
                if case .error(let body) = reply.message, reply.xid == xid { error = body }
            }
            return error
        }
        func expectError(_ message: OpenFlowMessage, xid: UInt32, _ type: UInt16, _ code: UInt16, _ comment: Comment) {
            let error = send(message, xid: xid)
            #expect(error?.type == type && error?.code == code, "\(comment): \(String(describing: error))")
        }
        let output2 = OpenFlowAction.output(port: 2, maxLength: 0)
        func group(_ command: UInt16, _ type: UInt8, _ id: UInt32, _ buckets: [OpenFlowBucket]) -> OpenFlowMessage {
            .groupMod(OpenFlowGroupMod(command: command, groupType: type, groupID: id, buckets: buckets))
        }
        expectError(group(0, 0, 1, [OpenFlowBucket(actions: [.group(2)])]), xid: 1, 6, 5, "a group in a bucket is OFPGMFC_CHAINING_UNSUPPORTED")
        expectError(
            group(0, 3, 1, [OpenFlowBucket(actions: [output2])]), xid: 2, 6, 13, "a fast-failover bucket without a watch is OFPGMFC_BAD_WATCH")
        expectError(group(0, 3, 1, [OpenFlowBucket(watchPort: 9, actions: [output2])]), xid: 3, 6, 13, "watching port 9 is OFPGMFC_BAD_WATCH")
        expectError(group(0, 2, 1, []), xid: 4, 6, 12, "an indirect group without its one bucket is OFPGMFC_BAD_BUCKET")
        expectError(group(0, 7, 1, []), xid: 5, 6, 10, "type 7 is OFPGMFC_BAD_TYPE")
        expectError(group(1, 0, 1, []), xid: 6, 6, 8, "modifying a group that does not exist is OFPGMFC_UNKNOWN_GROUP")
        expectError(
            .flowMod(OpenFlowFlowMod(instructions: [.applyActions([.group(1)])])), xid: 7, 2, 9, "a flow to a missing group is OFPBAC_BAD_OUT_GROUP")
        #expect(send(group(0, 1, 1, [OpenFlowBucket(weight: 2, actions: [output2])]), xid: 8) == nil)
        expectError(group(0, 0, 1, [OpenFlowBucket(actions: [output2])]), xid: 9, 6, 0, "adding group 1 again is OFPGMFC_GROUP_EXISTS")

        func meter(_ command: UInt16, _ flags: UInt16, _ id: UInt32, _ bands: [OpenFlowMeterBand]) -> OpenFlowMessage {
            .meterMod(OpenFlowMeterMod(command: command, flags: flags, meterID: id, bands: bands))
        }
        let drop = OpenFlowMeterBand(type: 1, rate: 1000, burstSize: 0)
        expectError(meter(0, 3, 1, [drop]), xid: 20, 12, 5, "KBPS and PKTPS at once is OFPMMFC_BAD_FLAGS")
        expectError(meter(0, 1, 0, [drop]), xid: 21, 12, 2, "meter 0 is OFPMMFC_INVALID_METER")
        expectError(meter(0, 1, 1, [OpenFlowMeterBand(type: 1, rate: 0, burstSize: 0)]), xid: 22, 12, 6, "rate 0 is OFPMMFC_BAD_RATE")
        expectError(meter(0, 1, 1, [OpenFlowMeterBand(type: 3, rate: 5, burstSize: 0)]), xid: 23, 12, 8, "band type 3 is OFPMMFC_BAD_BAND")
        expectError(
            .flowMod(OpenFlowFlowMod(instructions: [.meter(1), .applyActions([output2])])), xid: 24, 12, 3,
            "a flow with a missing meter is OFPMMFC_UNKNOWN_METER")
        #expect(send(meter(0, 1 | 4, 1, [drop]), xid: 25) == nil)
        expectError(meter(0, 1, 1, [drop]), xid: 26, 12, 1, "adding meter 1 again is OFPMMFC_METER_EXISTS")
        #expect(send(meter(0, 2, OpenFlowMeterMod.controller, [OpenFlowMeterBand(type: 1, rate: 100, burstSize: 0)]), xid: 27) == nil)

        // Flows that name them, then the deletes take those flows (and only those) along.
        #expect(send(.flowMod(OpenFlowFlowMod(priority: 1, instructions: [.applyActions([.group(1)])])), xid: 30) == nil)
        #expect(send(.flowMod(OpenFlowFlowMod(priority: 2, instructions: [.meter(1), .applyActions([output2])])), xid: 31) == nil)
        #expect(send(.flowMod(OpenFlowFlowMod(priority: 3, instructions: [.applyActions([output2])])), xid: 32) == nil)
        let program = datapath.program()
        #expect(program.flows.map(\.actions) == [[.group(1)], [.meter(1), .output(1)], [.output(1)]])
        #expect(program.groups[1]?.kind == .select && program.groups[1]?.buckets.first?.weight == 2)
        #expect(program.meters[OpenFlowMeterMod.controller]?.unit == .packetsPerSecond)
        peer.send(OpenFlowFrame(xid: 33, message: .multipartRequest(flags: 0, .groupDescription)))
        guard case .multipartReply(_, .groupDescription(let described)) = peer.next()?.message else {
            Issue.record("no GROUP_DESC reply")
            return
        }
        #expect(described == [OpenFlowGroupMod(command: 0, groupType: 1, groupID: 1, buckets: [OpenFlowBucket(weight: 2, actions: [output2])])])
        #expect(send(group(2, 0, OpenFlowGroupMod.all, []), xid: 34) == nil)
        #expect(send(meter(2, 0, 1, []), xid: 35) == nil)
        #expect(datapath.program().flows.map(\.priority) == [3], "the group's and the meter's flows went with them")
        #expect(datapath.program().groups.isEmpty && datapath.program().meters.count == 1)
    }

    @Test func aFloodOfFlowModsStopsAtTheCapacityWithTableFull() throws {
        let (agent, datapath, port) = try Self.start(capacity: 100)
        defer { agent.stop() }
        let peer = try Self.connected(port)
        for index in 0..<150 {
            let address = [10, 0, UInt8(index >> 8), UInt8(index & 0xFF)]
            peer.send(Self.flowMod([OXMField(field: 5, value: [8, 0]), OXMField(field: 12, value: address)], xid: UInt32(1000 + index)))
        }
        peer.send(OpenFlowFrame(xid: 9, message: .barrierRequest))
        var tableFull: [UInt32] = []
        while let reply = peer.next(), reply.message != .barrierReply {
            if case .error(let error) = reply.message, error.type == 5, error.code == 1 { tableFull.append(reply.xid) }
        }
        #expect(tableFull == (1100..<1150).map { UInt32($0) }, "the 50 flows past the capacity are OFPFMFC_TABLE_FULL")
        #expect(datapath.programs.withLock { $0.flows.count } == 100)
        #expect(agent.statistics.current.tableFull == 50, "every refusal is counted")
        #expect(agent.statistics.current.flowModsApplied == 100)
        // A replacement (same match and priority) still goes in at the capacity.
        peer.send(Self.flowMod([OXMField(field: 5, value: [8, 0]), OXMField(field: 12, value: [10, 0, 0, 5])], xid: 2000))
        peer.send(OpenFlowFrame(xid: 10, message: .barrierRequest))
        #expect(peer.next() == OpenFlowFrame(xid: 10, message: .barrierReply))
    }

    @Test func aPeerWithoutOpenFlow13GetsHelloFailedAndIsClosed() throws {
        let (agent, _, port) = try Self.start()
        defer { agent.stop() }
        let peer = try Peer(port: port)
        _ = peer.next()
        peer.send(OpenFlowFrame(version: 1, xid: 3, message: .hello(versions: [])))
        guard case .error(let error) = peer.next()?.message else {
            Issue.record("no HELLO_FAILED")
            return
        }
        #expect(error.type == 0 && error.code == 0)
        #expect(peer.next() == nil, "the connection is closed")
    }

    @Test func packetInsReachTheControllerAndPacketOutsTheSwitch() throws {
        let (agent, datapath, port) = try Self.start()
        defer { agent.stop() }
        let peer = try Self.connected(port)
        peer.send(OpenFlowFrame(xid: 2, message: .barrierRequest))
        #expect(peer.next() == OpenFlowFrame(xid: 2, message: .barrierReply))
        let frame: [UInt8] = [UInt8](repeating: 0xFF, count: 6) + [2, 0, 0, 0, 0, 1, 0x08, 0x06] + [UInt8](repeating: 0, count: 28)
        datapath.punt(OpenFlowPacketInEvent(frame: frame, inPort: 1, tableID: 0, cookie: 0x5A, reason: 0))
        guard case .packetIn(let packetIn) = peer.next()?.message else {
            Issue.record("no PACKET_IN")
            return
        }
        #expect(packetIn.cookie == 0x5A && packetIn.reason == 0 && packetIn.data == frame && packetIn.bufferID == 0xFFFF_FFFF)
        #expect(packetIn.match.field("in_port")?.integer == 2, "chain port 1 is OpenFlow port 2")
        // Only OFPR_ACTION wanted: a table-miss packet-in is not sent, an action one is.
        peer.send(
            OpenFlowFrame(xid: 3, message: .setAsync(OpenFlowAsyncConfig(packetInMask: [2, 0], portStatusMask: [7, 7], flowRemovedMask: [0, 0]))))
        peer.send(OpenFlowFrame(xid: 30, message: .barrierRequest))
        #expect(peer.next() == OpenFlowFrame(xid: 30, message: .barrierReply))
        datapath.punt(OpenFlowPacketInEvent(frame: frame, inPort: 0, tableID: 0, cookie: 1, reason: 0))
        datapath.punt(OpenFlowPacketInEvent(frame: frame, inPort: 0, tableID: 1, cookie: 2, reason: 1))
        guard case .packetIn(let second) = peer.next()?.message else {
            Issue.record("no second PACKET_IN")
            return
        }
        #expect(second.cookie == 2 && second.tableID == 1)
        // PACKET_OUT: FLOOD from the controller; TABLE from port 3; a buffer id is refused.
        peer.send(
            OpenFlowFrame(
                xid: 4,
                message: .packetOut(
                    OpenFlowPacketOut(inPort: OpenFlowAction.controller, actions: [.output(port: OpenFlowAction.flood, maxLength: 0)], data: frame))))
        peer.send(
            OpenFlowFrame(
                xid: 5, message: .packetOut(OpenFlowPacketOut(inPort: 3, actions: [.output(port: OpenFlowAction.table, maxLength: 0)], data: frame))))
        peer.send(OpenFlowFrame(xid: 6, message: .packetOut(OpenFlowPacketOut(bufferID: 7, inPort: 3, actions: [], data: frame))))
        guard case .error(let error) = peer.next()?.message else {
            Issue.record("no error for a buffered PACKET_OUT")
            return
        }
        #expect(error.type == 1 && error.code == 8, "OFPBRC_BUFFER_UNKNOWN: the switch keeps no buffers")
        let sent = datapath.sent.withLock { $0 }
        #expect(sent.count == 2)
        #expect(sent.first?.inPort == nil && sent.first?.actions == [.flood])
        #expect(sent.last?.inPort == 2 && sent.last?.actions == nil, "TABLE: the flow tables decide")
    }

    @Test func portModSetsAPortDownAndPortStatusSaysSo() throws {
        let (agent, datapath, port) = try Self.start()
        defer { agent.stop() }
        let peer = try Self.connected(port)
        peer.send(OpenFlowFrame(xid: 2, message: .barrierRequest))
        #expect(peer.next() == OpenFlowFrame(xid: 2, message: .barrierReply))
        usleep(600_000)  // the agent has looked at the ports once: what follows is a change
        // Wrong hardware address: OFPPMFC_BAD_HW_ADDR; a config bit other than PORT_DOWN: BAD_CONFIG.
        peer.send(OpenFlowFrame(xid: 3, message: .portMod(OpenFlowPortMod(portNumber: 2, hardwareAddress: [9, 9, 9, 9, 9, 9], config: 1, mask: 1))))
        guard case .error(let badAddress) = peer.next()?.message else {
            Issue.record("no error for a wrong address")
            return
        }
        #expect(badAddress.type == 7 && badAddress.code == 1)
        peer.send(OpenFlowFrame(xid: 4, message: .portMod(OpenFlowPortMod(portNumber: 2, hardwareAddress: [2, 0, 0, 0, 0, 1], config: 4, mask: 4))))
        guard case .error(let badConfig) = peer.next()?.message else {
            Issue.record("no error for NO_RECV")
            return
        }
        #expect(badConfig.type == 7 && badConfig.code == 2)
        peer.send(OpenFlowFrame(xid: 5, message: .portMod(OpenFlowPortMod(portNumber: 2, hardwareAddress: [2, 0, 0, 0, 0, 1], config: 1, mask: 1))))
        guard case .portStatus(let reason, let status) = peer.next()?.message else {
            Issue.record("no PORT_STATUS")
            return
        }
        #expect(reason == 2 && status.portNumber == 2 && status.config == 1 && status.state == 1)
        #expect(datapath.downPorts.withLock { $0 } == [1])
    }

    @Test func flowsThatAskForItAreReportedWhenTheyGo() throws {
        let (agent, datapath, port) = try Self.start()
        defer { agent.stop() }
        let peer = try Self.connected(port)
        func add(_ address: UInt8, cookie: UInt64, flags: UInt16, idle: UInt16 = 0) {
            peer.send(
                OpenFlowFrame(
                    xid: 10,
                    message: .flowMod(
                        OpenFlowFlowMod(
                            cookie: cookie, idleTimeout: idle, priority: 10, flags: flags,
                            match: OpenFlowMatch(fields: [OXMField(field: 5, value: [8, 0]), OXMField(field: 12, value: [10, 0, 0, address])]),
                            instructions: [.applyActions([.output(port: 2, maxLength: 0)])]))))
        }
        add(1, cookie: 0xA, flags: 1)  // OFPFF_SEND_FLOW_REM
        add(2, cookie: 0xB, flags: 0)
        add(9, cookie: 0xC, flags: 1, idle: 5)
        peer.send(OpenFlowFrame(xid: 11, message: .barrierRequest))
        #expect(peer.next() == OpenFlowFrame(xid: 11, message: .barrierReply))
        // Delete both table-0 flows of 10.0.0.1 and .2: only the one that asked is reported.
        peer.send(
            OpenFlowFrame(
                xid: 12,
                message: .flowMod(
                    OpenFlowFlowMod(
                        cookie: 0, cookieMask: 0, tableID: 0, command: 3,
                        match: OpenFlowMatch(fields: [
                            OXMField(field: 5, value: [8, 0]), OXMField(field: 12, value: [10, 0, 0, 0], mask: [255, 255, 255, 252]),
                        ])))))
        let deleted = peer.next()
        guard case .flowRemoved(let removed) = deleted?.message else {
            Issue.record("no FLOW_REMOVED for the delete: \(String(describing: deleted))")
            return
        }
        #expect(removed.cookie == 0xA && removed.reason == 2 && removed.priority == 10)
        peer.send(OpenFlowFrame(xid: 13, message: .barrierRequest))
        #expect(peer.next() == OpenFlowFrame(xid: 13, message: .barrierReply), "one FLOW_REMOVED, not two")
        // The idle flow times out on a worker: FLOW_REMOVED with OFPRR_IDLE_TIMEOUT and its counters.
        let idleFlow = try #require(datapath.programs.withLock { $0.flows.first { $0.cookie == 0xC } })
        #expect(idleFlow.sendsFlowRemoved)
        datapath.timeOut(idleFlow, hard: false)
        guard case .flowRemoved(let idle) = peer.next()?.message else {
            Issue.record("no FLOW_REMOVED for the timeout")
            return
        }
        #expect(idle.cookie == 0xC && idle.reason == 0 && idle.packetCount == 3 && idle.byteCount == 180 && idle.idleTimeout == 5)
    }

    /// Fail mode standalone: the fail-open NORMAL flow goes when a controller connects and
    /// comes back once none has been connected for the delay; a controller of ours accepts the
    /// switch's connection (the agent connects out, as to os-ken or Faucet).
    @Test func standaloneFailsOpenWithoutAController() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(listener, 4)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let controllerPort = UInt16(bigEndian: address.sin_port)

        let datapath = MemoryDatapath()
        let failOpen = FlowEntry(priority: 0, actions: [.normal], cookie: OpenFlowSettings.failOpenCookie)
        datapath.programs.withLock { $0.flows = [failOpen] }
        let settings = OpenFlowSettings(
            datapathID: 1, listen: [], controllers: [.tcp(address: .init(127, 0, 0, 1), port: controllerPort)], failMode: .standalone)
        let agent = try OpenFlowAgent(
            settings: settings,
            session: .init(datapathID: 1, tableCount: 4, flowCapacity: 100, datapathDescription: "test", softwareVersion: "test"),
            datapath: datapath, failOpenDelay: 1, log: { _ in })
        defer { agent.stop() }
        func failedOpen() -> Bool { datapath.programs.withLock { $0.flows.contains(failOpen) } }
        func waitFor(_ wanted: Bool) -> Bool {
            for _ in 0..<40 where failedOpen() != wanted { usleep(100_000) }
            return failedOpen() == wanted
        }
        let connection = accept(listener, nil, nil)
        try #require(connection >= 0, "the switch connects to its controller")
        let hello = OpenFlowCodec.encode(OpenFlowFrame(xid: 1, message: .hello(versions: [4])))
        _ = hello.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
        #expect(waitFor(false), "a controller agreed a version: the fail-open flow is gone")
        close(connection)
        #expect(waitFor(true), "no controller for the delay: failed open again")
    }
}
