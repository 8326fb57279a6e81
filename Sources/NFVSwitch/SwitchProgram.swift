/// Everything a controller programs into a switch, installed as one: the flows of every table,
/// the group table and the meters (a flow may name a group or a meter; a change to any of them
/// reaches the workers together, between two batches).
public struct SwitchProgram: Sendable, Equatable {
    public var flows: [FlowEntry]
    public var groups: [UInt32: GroupEntry]
    public var meters: [UInt32: MeterEntry]

    public init(flows: [FlowEntry] = [], groups: [UInt32: GroupEntry] = [:], meters: [UInt32: MeterEntry] = [:]) {
        self.flows = flows
        self.groups = groups
        self.meters = meters
    }
}
