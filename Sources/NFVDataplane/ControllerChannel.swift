import NFVOpenFlowAgent
import NFVPacket
import NFVPipeline
import NFVSwitch
import Synchronization

/// What passes between the workers and an OpenFlow agent: packets flows send to the
/// controller (PACKET_IN; bounded: beyond `capacity` waiting packets, more are dropped and
/// counted) and packets the controller sends (PACKET_OUT, taken by worker 0).
final class ControllerChannel: Sendable {
    /// Waiting packet-ins at most.
    static let capacity = 4096

    let packetIns = Mutex<[OpenFlowPacketInEvent]>([])
    let packetOuts = Mutex<[PacketOutRequest]>([])
    /// Packet-outs waiting (read by worker 0 every round without the lock).
    let pendingPacketOuts = Atomic<Int>(0)
    /// Packet-ins dropped because the agent fell behind.
    let packetInOverflows = Atomic<UInt64>(0)
    let notify = Mutex<@Sendable () -> Void>({})

    struct PacketOutRequest: Sendable {
        var frame: [UInt8]
        var inPort: UInt16?
        var actions: [FlowAction]?
    }

    /// The port number a packet from the controller arrives on (no chain port has it).
    static let controllerPort: UInt16 = 0xFFFD

    func post(_ events: [OpenFlowPacketInEvent]) {
        guard !events.isEmpty else { return }
        let dropped = packetIns.withLock { waiting in
            let room = max(0, Self.capacity - waiting.count)
            waiting += events.prefix(room)
            return events.count - min(room, events.count)
        }
        if dropped > 0 { packetInOverflows.add(UInt64(dropped), ordering: .relaxed) }
        notify.withLock { $0 }()
    }
}

/// The punt sink of a worker's chain on an OpenFlow switch: each punted packet becomes a
/// PACKET_IN event with the table, cookie and reason the switch noted, then goes back to the pool.
final class ControllerPuntSink: PacketSink {
    let channel: ControllerChannel
    let stage: SwitchStage
    let counters = PortCounters()

    init(channel: ControllerChannel, stage: SwitchStage) {
        self.channel = channel
        self.stage = stage
    }

    func transmit(_ batch: PacketBatch) throws(PortError) {
        var events: [OpenFlowPacketInEvent] = []
        for index in 0..<batch.count {
            let entry = batch.metadata[index]
            let frame = batch.pool.slot(entry.id) + Int(entry.dataOffset)
            let note = index < stage.puntNotes.count ? stage.puntNotes[index] : SwitchStage.PuntNote(table: 0, cookie: 0, tableMiss: true)
            events.append(
                OpenFlowPacketInEvent(
                    frame: Array(UnsafeRawBufferPointer(start: frame, count: Int(entry.length))), inPort: entry.inPort, tableID: note.table,
                    cookie: note.cookie, reason: note.tableMiss ? 0 : 1))
            counters.transmittedPackets &+= 1
            counters.transmittedBytes &+= UInt64(entry.length)
        }
        stage.puntNotes.removeAll(keepingCapacity: true)
        batch.releaseAll()
        channel.post(events)
    }
}

/// Worker 0's source of the controller's packets: each PACKET_OUT enters the chain as if it
/// arrived on its in_port, and the switch runs its actions (or its tables, for OFPP_TABLE).
final class PacketOutSource: PacketSource {
    let channel: ControllerChannel
    let stage: SwitchStage
    let counters = PortCounters()
    var isExhausted: Bool { false }

    init(channel: ControllerChannel, stage: SwitchStage) {
        self.channel = channel
        self.stage = stage
    }

    func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        guard channel.pendingPacketOuts.load(ordering: .acquiring) > 0, limit > 0 else { return 0 }
        // A batch holds the packets of one ingress port (the chain runs it in that port's
        // direction): take the waiting packets that share the first one's in_port.
        let requests = channel.packetOuts.withLock { waiting in
            let inPort = waiting.first?.inPort
            let taken = Array(waiting.prefix(limit).prefix { $0.inPort == inPort })
            waiting.removeFirst(taken.count)
            return taken
        }
        channel.pendingPacketOuts.subtract(requests.count, ordering: .releasing)
        var appended = 0
        let now = Worker.now()
        for request in requests {
            let result = request.frame.withUnsafeBytes {
                batch.appendCopy(of: $0, inPort: request.inPort ?? ControllerChannel.controllerPort, timestamp: now)
            }
            guard result == .appended else { continue }
            appended += 1
            counters.receivedPackets &+= 1
            counters.receivedBytes &+= UInt64(request.frame.count)
            if let actions = request.actions { stage.packetOutActions[batch.metadata[batch.count - 1].id] = actions }
        }
        return appended
    }
}

/// Flows the workers' switch stages timed out, on their way to the control side: the next edit
/// of the flow table (or the OpenFlow agent, at once) drops them from it, so no later install
/// brings them back, and those that asked for it are reported to controllers (FLOW_REMOVED).
final class ExpiredFlowInbox: Sendable {
    let waiting = Mutex<[SwitchStage.ExpiredFlow]>([])
    /// Removed flows with OFPFF_SEND_FLOW_REM, for the agent (bounded like packet-ins).
    let toReport = Mutex<[SwitchStage.ExpiredFlow]>([])

    func add(_ flows: [SwitchStage.ExpiredFlow]) { waiting.withLock { $0 += flows } }

    /// Takes the waiting flows out of `entries` (each once, however many workers timed it
    /// out); the removed ones that asked for it are kept for `reportable` when `report` is set.
    @discardableResult
    func apply(to entries: inout [FlowEntry], report: Bool) -> Bool {
        let flows = waiting.withLock { waiting in
            defer { waiting.removeAll() }
            return waiting
        }
        guard !flows.isEmpty else { return false }
        let before = entries.count
        var reported: [SwitchStage.ExpiredFlow] = []
        for expired in flows {
            guard let index = entries.firstIndex(of: expired.flow) else { continue }
            entries.remove(at: index)
            if report && expired.flow.sendsFlowRemoved { reported.append(expired) }
        }
        if !reported.isEmpty { toReport.withLock { $0 = Array(($0 + reported).suffix(ControllerChannel.capacity)) } }
        return entries.count != before
    }

    /// Forgets what is waiting (the configured flows were put back whole).
    func discard() { waiting.withLock { $0.removeAll() } }
}
