import NFVOpenFlow
import NFVSwitch

/// What the OpenFlow agent needs of the switch it manages (a live chain's switch stage
/// implements it in the data plane). Thread-safe: the agent calls it from its own thread.
public protocol OpenFlowDatapath: AnyObject, Sendable {
    /// The switch's chain ports (OpenFlow port numbers are these plus one).
    var switchPorts: Set<UInt16> { get }
    /// Each switch port as OpenFlow describes it (number, name, MAC, link state, speed).
    func portDescriptions() -> [OpenFlowPort]
    /// Each switch port's counters.
    func portStatistics() -> [OpenFlowPortStats]
    /// Every flow with its counters, summed over the workers.
    func flowRecords() -> [OpenFlowFlowRecord]
    /// The flows, groups and meters in force (groups and meters with their shared counters).
    func program() -> SwitchProgram
    /// Edits the flows, groups and meters under the switch's lock and puts the result in force
    /// on every worker before returning (a barrier after it sees the change). `edit` throwing
    /// leaves everything as it was.
    func editProgram(_ edit: (inout SwitchProgram) throws(OpenFlowError) -> Void) throws(OpenFlowError)
    /// Sends a controller's packet (PACKET_OUT): it enters as if it arrived on `inPort` (nil:
    /// from the controller) and takes `actions`, or the flow tables when `actions` is nil
    /// (OFPP_TABLE).
    func packetOut(_ frame: [UInt8], inPort: UInt16?, actions: [FlowAction]?) throws(OpenFlowError)
    /// Sets a switch port administratively down or up (PORT_MOD's OFPPC_PORT_DOWN): a port
    /// that is down neither receives nor sends, and its description says PORT_DOWN.
    func setPort(_ port: UInt16, down: Bool) throws(OpenFlowError)
    /// Tells the datapath whom to wake when packets for the controller are waiting.
    func connectController(_ notify: @escaping @Sendable () -> Void)
    /// The packets the switch sent to the controller since the last call.
    func takePacketIns() -> [OpenFlowPacketInEvent]
    /// Flows with OFPFF_SEND_FLOW_REM that timed out since the last call (they are out of
    /// the table by then), with their counters; `hard` for the hard timeout.
    func takeTimedOutFlows() -> [(record: OpenFlowFlowRecord, hard: Bool)]
}

extension OpenFlowDatapath {
    /// Edits the flows only (see `editProgram`).
    public func editFlows(_ edit: (inout [FlowEntry]) throws(OpenFlowError) -> Void) throws(OpenFlowError) {
        try editProgram { (program: inout SwitchProgram) throws(OpenFlowError) in try edit(&program.flows) }
    }
}

/// A packet a flow sent to the controller, with what PACKET_IN says about it.
public struct OpenFlowPacketInEvent: Sendable, Equatable {
    public var frame: [UInt8]
    /// The chain port it arrived on.
    public var inPort: UInt16
    public var tableID: UInt8
    /// The cookie of the flow that sent it.
    public var cookie: UInt64
    /// OFPR_NO_MATCH (0: a table-miss flow) or OFPR_ACTION (1).
    public var reason: UInt8

    public init(frame: [UInt8], inPort: UInt16, tableID: UInt8, cookie: UInt64, reason: UInt8) {
        self.frame = frame
        self.inPort = inPort
        self.tableID = tableID
        self.cookie = cookie
        self.reason = reason
    }
}

/// A flow and its counters.
public struct OpenFlowFlowRecord: Sendable {
    public var flow: FlowEntry
    public var packets: UInt64
    public var bytes: UInt64
    /// Seconds since the flow was installed.
    public var seconds: Double

    public init(flow: FlowEntry, packets: UInt64, bytes: UInt64, seconds: Double) {
        self.flow = flow
        self.packets = packets
        self.bytes = bytes
        self.seconds = seconds
    }
}
