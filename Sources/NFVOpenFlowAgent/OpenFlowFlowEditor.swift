import NFVOpenFlow
import NFVSwitch

/// Applies FLOW_MODs to a switch's flows, as OpenFlow 1.3.5 section 6.4 says: ADD replaces a
/// flow with the same table, priority and match (refusing an overlap when asked to check);
/// MODIFY and DELETE select flows loosely (the flow's match is at least as specific as the
/// request's) or strictly (same match and priority), within a table or every table
/// (OFPTT_ALL), by cookie under a mask, DELETE also by out_port and out_group. A flow keeps its
/// counters when ADD replaces it or MODIFY changes its actions, unless OFPFF_RESET_COUNTS asks.
/// Pure: flows in, flows out (the program's groups and meters are what flows may name).
///
/// Limits the spec leaves to the switch: `capacity` flows in all (an ADD beyond it is
/// OFPFMFC_TABLE_FULL and changes nothing), `tableCount` tables, no packet buffers
/// (buffer_id must be OFP_NO_BUFFER).
public struct OpenFlowFlowEditor: Sendable {
    /// The switch's chain ports.
    public let ports: Set<UInt16>
    public let tableCount: Int
    public let capacity: Int

    /// OFPET_FLOW_MOD_FAILED.
    static let flowModFailed: UInt16 = 5
    static func failed(_ code: UInt16) -> OpenFlowError { OpenFlowError(type: flowModFailed, code: code) }

    public init(ports: Set<UInt16>, tableCount: Int, capacity: Int) {
        self.ports = ports
        self.tableCount = tableCount
        self.capacity = capacity
    }

    /// Applies `flowMod` to `flows`; on an error `flows` is left as it was. Returns the flows a
    /// DELETE took out (for FLOW_REMOVED), none for the other commands.
    @discardableResult
    public func apply(
        _ flowMod: OpenFlowFlowMod, to flows: inout [FlowEntry], program: SwitchProgram = SwitchProgram()
    ) throws(OpenFlowError) -> [FlowEntry] {
        let resetsCounts = flowMod.flags & 4 != 0  // OFPFF_RESET_COUNTS
        guard flowMod.flags & ~0x1F == 0 else { throw Self.failed(7) }  // BAD_FLAGS
        let match = try OpenFlowMatchTranslator.flowMatch(flowMod.match, ports: ports)
        switch flowMod.command {
        case 0:
            guard Int(flowMod.tableID) < tableCount else { throw Self.failed(2) }  // BAD_TABLE_ID
            guard flowMod.bufferID == 0xFFFF_FFFF else { throw OpenFlowError(type: OpenFlowError.badRequest, code: 8) }  // BUFFER_UNKNOWN
            let actions = try OpenFlowActionTranslator.flowActions(
                flowMod.instructions, table: flowMod.tableID, tableCount: tableCount, ports: ports, program: program)
            var flow = FlowEntry(
                table: flowMod.tableID, priority: flowMod.priority, match: match, actions: actions, cookie: flowMod.cookie,
                idleTimeout: flowMod.idleTimeout, hardTimeout: flowMod.hardTimeout)
            flow.sendsFlowRemoved = flowMod.flags & 1 != 0  // OFPFF_SEND_FLOW_REM
            if flowMod.flags & 2 != 0,  // OFPFF_CHECK_OVERLAP
                flows.contains(where: { $0.table == flow.table && $0.priority == flow.priority && $0.match != match && Self.overlap($0.match, match) }
                )
            {
                throw Self.failed(3)  // OVERLAP
            }
            var updated = flows
            if let replaced = updated.first(where: { $0.table == flow.table && $0.priority == flow.priority && $0.match == match }) {
                flow.counterEpoch = resetsCounts ? replaced.counterEpoch &+ 1 : replaced.counterEpoch
            }
            updated.removeAll { $0.table == flow.table && $0.priority == flow.priority && $0.match == match }
            guard updated.count < capacity else { throw Self.failed(1) }  // TABLE_FULL
            updated.append(flow)
            flows = updated
            return []
        case 1, 2:
            guard flowMod.tableID == OpenFlowFlowFilter.allTables || Int(flowMod.tableID) < tableCount else { throw Self.failed(2) }
            let selected = select(flows, flowMod, match: match, strict: flowMod.command == 2, outPort: OpenFlowAction.any)
            guard !selected.isEmpty else { return [] }
            var updated = flows
            for index in selected {
                // The request's instructions, checked against each flow's own table.
                updated[index].actions = try OpenFlowActionTranslator.flowActions(
                    flowMod.instructions, table: flows[index].table, tableCount: tableCount, ports: ports, program: program)
                if resetsCounts { updated[index].counterEpoch &+= 1 }
            }
            flows = updated
            return []
        case 3, 4:
            guard flowMod.tableID == OpenFlowFlowFilter.allTables || Int(flowMod.tableID) < tableCount else { throw Self.failed(2) }
            let selected = Set(
                select(flows, flowMod, match: match, strict: flowMod.command == 4, outPort: flowMod.outPort, outGroup: flowMod.outGroup))
            let removed = flows.indices.filter { selected.contains($0) }.map { flows[$0] }
            flows = flows.indices.filter { !selected.contains($0) }.map { flows[$0] }
            return removed
        default: throw Self.failed(6)  // BAD_COMMAND
        }
    }

    /// The flows a MODIFY or DELETE selects (and a FLOW or AGGREGATE request: the same rules).
    public func select(
        _ flows: [FlowEntry], _ flowMod: OpenFlowFlowMod, match: FlowMatch, strict: Bool, outPort: UInt32,
        outGroup: UInt32 = OpenFlowGroupMod.any
    ) -> [Int] {
        flows.indices.filter { index in
            let flow = flows[index]
            guard flowMod.tableID == OpenFlowFlowFilter.allTables || flow.table == flowMod.tableID else { return false }
            guard flow.cookie & flowMod.cookieMask == flowMod.cookie & flowMod.cookieMask else { return false }
            if strict {
                guard flow.match == match, flow.priority == flowMod.priority else { return false }
            } else {
                guard flow.match.mask.masked(by: match.mask) == match.mask, flow.match.value.masked(by: match.mask) == match.value else {
                    return false
                }
            }
            guard outGroup == OpenFlowGroupMod.any || OpenFlowGroupEditor.sends(flow.actions, toAnyOf: [outGroup]) else { return false }
            return outPort == OpenFlowAction.any || Self.outputs(flow.actions, to: outPort)
        }
    }

    /// True when `actions` send to OpenFlow port `port`.
    static func outputs(_ actions: [FlowAction], to port: UInt32) -> Bool {
        actions.contains { action in
            switch action {
            case .output(let chainPort): UInt32(chainPort) + 1 == port
            case .normal: port == OpenFlowAction.normal
            case .flood: port == OpenFlowAction.flood
            case .inPort: port == OpenFlowAction.inPort
            case .controller: port == OpenFlowAction.controller
            case .write(let inner): outputs([inner], to: port)
            default: false
            }
        }
    }

    /// True when some packet could match both (the bits both pin agree).
    static func overlap(_ first: FlowMatch, _ second: FlowMatch) -> Bool {
        let common = first.mask.masked(by: second.mask)
        return first.value.masked(by: common) == second.value.masked(by: common)
    }
}
