import NFVPipeline
import NFVSwitch

/// The flows of a chain's first switch stage as the control side last set them, with the
/// groups and meters an OpenFlow controller added: `add-flow`, `del-flows` and the controller's
/// FLOW_MOD, GROUP_MOD and METER_MOD edit this table, then it is installed on every worker's
/// copy of the stage (swapped in before its next batch). Runtime only: a restart returns to
/// the configuration's flows.
public struct SwitchFlowTable: Sendable {
    /// The switch stage the table belongs to.
    public let stageName: String
    var flows: [FlowEntry]
    var groups: [UInt32: GroupEntry] = [:]
    var meters: [UInt32: MeterEntry] = [:]
    let ports: FlowSyntax.PortNames

    /// The configured flows of `chain`'s first switch stage, or nil when it has none.
    public init?(chain: LoadedChain) {
        guard let stage = chain.descriptor.stages.first(where: { $0.vnf == VNFKind.switch.name }),
            case .switch(let configuration) = chain.configurations[stage.name]
        else { return nil }
        let ports = chain.descriptor.portNumbers
        self.stageName = stage.name
        self.ports = ports
        self.flows = configuration.flows.compactMap { try? FlowSyntax.parse($0, ports: ports) }
    }

    /// The flows, as values (the OpenFlow agent edits them with FLOW_MODs).
    public var entries: [FlowEntry] {
        get { flows }
        set { flows = newValue }
    }

    /// Flows, groups and meters (the OpenFlow agent edits them as one).
    public var program: SwitchProgram {
        get { SwitchProgram(flows: flows, groups: groups, meters: meters) }
        set {
            flows = newValue.flows
            groups = newValue.groups
            meters = newValue.meters
        }
    }

    /// Adds a flow in `ovs-ofctl add-flow` syntax, replacing one with the same table,
    /// priority and match as ovs-ofctl does; says which it did.
    public mutating func add(_ text: String) throws(LiveUpdateError) -> String {
        let flow: FlowEntry
        do { flow = try FlowSyntax.parse(text, ports: ports) } catch { throw LiveUpdateError("add-flow: \(error)") }
        let before = flows.count
        flows.removeAll { $0.table == flow.table && $0.priority == flow.priority && $0.match == flow.match }
        let replaced = flows.count < before
        flows.append(flow)
        return replaced ? "flow replaced" : "flow added"
    }

    /// Deletes the flows that match `text` loosely (every field it names, the flow pins to the
    /// same value; `table=` limits it to one table), or every flow when `text` is empty.
    public mutating func delete(_ text: String) throws(LiveUpdateError) -> String {
        let before = flows.count
        if text.isEmpty {
            flows = []
        } else {
            let pattern: FlowEntry
            do { pattern = try FlowSyntax.parse(text + (text.contains("actions=") ? "" : ",actions=drop"), ports: ports) } catch {
                throw LiveUpdateError("del-flows: \(error)")
            }
            let given = pattern.match
            flows.removeAll { flow in
                let covered = flow.match.mask.masked(by: given.mask) == given.mask && flow.match.value.masked(by: given.mask) == given.value
                let sameTable = !text.contains("table=") || flow.table == pattern.table
                return covered && sameTable
            }
        }
        return "\(before - flows.count) flow(s) deleted"
    }

    /// How this table differs from `configured` (flows edited at run time): one line, or nil
    /// when they hold the same flows.
    public func drift(from configured: SwitchFlowTable) -> String? {
        let now = Set(flows)
        let declared = Set(configured.flows)
        guard now != declared else { return nil }
        let added = flows.filter { !declared.contains($0) }.count
        let removed = configured.flows.filter { !now.contains($0) }.count
        return "switch \(stageName): flows edited at run time (\(added) added, \(removed) removed or replaced); "
            + "a deploy restores the configured flows"
    }

    /// Hands the table to every stage of `stages` that is this switch (thread-safe).
    public func install(on stages: [any Stage]) {
        for case let stage as SwitchStage in stages.map(\.unwrapped) where stage.name == stageName { stage.replaceProgram(program) }
    }
}
