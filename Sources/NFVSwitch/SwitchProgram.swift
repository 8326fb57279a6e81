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

    /// Takes out the flows `condemned` picks (those that use a deleted group or meter) and
    /// returns them.
    public mutating func removeFlows(where condemned: (FlowEntry) -> Bool) -> [FlowEntry] {
        let removed = flows.filter(condemned)
        flows.removeAll(where: condemned)
        return removed
    }
}
