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
    /// Edits the flows under the switch's lock and puts the result in force on every worker
    /// before returning (a barrier after it sees the change). `edit` throwing leaves the
    /// flows as they were.
    func editFlows(_ edit: (inout [FlowEntry]) throws(OpenFlowError) -> Void) throws(OpenFlowError)
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
