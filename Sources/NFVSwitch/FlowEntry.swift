/// One flow of a switch table: OpenFlow's priority, match, instructions, cookie and timeouts.
public struct FlowEntry: Hashable, Sendable {
    public var table: UInt8 = 0
    public var priority: UInt16 = FlowEntry.defaultPriority
    public var match = FlowMatch()
    public var actions: [FlowAction] = []
    public var cookie: UInt64 = 0
    /// Seconds without a hit after which the flow goes (0: never).
    public var idleTimeout: UInt16 = 0
    /// Seconds after which the flow goes whatever happens (0: never).
    public var hardTimeout: UInt16 = 0
    /// OpenFlow's OFPFF_SEND_FLOW_REM: a controller hears when the flow goes (timeout or delete).
    public var sendsFlowRemoved = false
    /// Counters follow a flow's table, priority and match across changes of its actions (as
    /// OpenFlow keeps them on MODIFY); a new epoch starts them again (OFPFF_RESET_COUNTS).
    public var counterEpoch: UInt32 = 0

    /// OpenFlow's default priority (what ovs-ofctl uses when none is given).
    public static let defaultPriority: UInt16 = 32768

    public init(
        table: UInt8 = 0, priority: UInt16 = FlowEntry.defaultPriority, match: FlowMatch = FlowMatch(),
        actions: [FlowAction] = [], cookie: UInt64 = 0, idleTimeout: UInt16 = 0, hardTimeout: UInt16 = 0
    ) {
        self.table = table
        self.priority = priority
        self.match = match
        self.actions = actions
        self.cookie = cookie
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
    }
}
