import NFVOpenFlow
import NFVSwitch

/// Applies GROUP_MODs to a switch's group table, as OpenFlow 1.3.5 sections 6.5 and 7.3.4.2
/// say: ADD a new group (OFPGMFC_GROUP_EXISTS if the id is taken), MODIFY one that exists
/// (OFPGMFC_UNKNOWN_GROUP otherwise; its counters stay when the number of buckets does),
/// DELETE one or every group (OFPG_ALL), taking out the flows that send to it, as the spec
/// asks. Pure: a program in, a program out.
///
/// What the switch takes, and the error for the rest: types ALL, SELECT, INDIRECT (exactly one
/// bucket) and FAST_FAILOVER (each bucket watches a port); bucket actions as in a flow but no
/// GROUP (OFPGMFC_CHAINING_UNSUPPORTED), and in an ALL group only outputs, floods and header
/// rewrites (OFPGMFC_BAD_BUCKET); watch_group unsupported (OFPGMFC_WATCH_UNSUPPORTED); a
/// watched port must be a switch port (OFPGMFC_BAD_WATCH); at most `capacity` groups
/// (OFPGMFC_OUT_OF_GROUPS) of at most `bucketCapacity` buckets (OFPGMFC_OUT_OF_BUCKETS).
public struct OpenFlowGroupEditor: Sendable {
    public let ports: Set<UInt16>
    public let capacity: Int
    public let bucketCapacity: Int

    /// OFPET_GROUP_MOD_FAILED.
    static let groupModFailed: UInt16 = 6
    static func failed(_ code: UInt16) -> OpenFlowError { OpenFlowError(type: groupModFailed, code: code) }

    public init(ports: Set<UInt16>, capacity: Int = 4096, bucketCapacity: Int = 64) {
        self.ports = ports
        self.capacity = capacity
        self.bucketCapacity = bucketCapacity
    }

    /// Applies `groupMod` to `program`; on an error `program` is left as it was. Returns the
    /// flows a DELETE took out with the group.
    @discardableResult
    public func apply(_ groupMod: OpenFlowGroupMod, to program: inout SwitchProgram) throws(OpenFlowError) -> [FlowEntry] {
        switch groupMod.command {
        case 0, 1:
            guard groupMod.groupID <= OpenFlowGroupMod.max else { throw Self.failed(1) }  // INVALID_GROUP
            let group = try entry(groupMod, program: program)
            if groupMod.command == 0 {
                guard program.groups[group.id] == nil else { throw Self.failed(0) }  // GROUP_EXISTS
                guard program.groups.count < capacity else { throw Self.failed(3) }  // OUT_OF_GROUPS
                program.groups[group.id] = group
            } else {
                guard let old = program.groups[group.id] else { throw Self.failed(8) }  // UNKNOWN_GROUP
                program.groups[group.id] = GroupEntry(id: group.id, kind: group.kind, buckets: group.buckets, counters: old.counters)
            }
            return []
        case 2:
            let doomed: Set<UInt32>
            if groupMod.groupID == OpenFlowGroupMod.all {
                doomed = Set(program.groups.keys)
            } else {
                guard groupMod.groupID <= OpenFlowGroupMod.max else { throw Self.failed(1) }
                doomed = program.groups[groupMod.groupID] == nil ? [] : [groupMod.groupID]
            }
            guard !doomed.isEmpty else { return [] }
            for id in doomed { program.groups[id] = nil }
            return program.removeFlows { Self.sends($0.actions, toAnyOf: doomed) }
        default: throw Self.failed(11)  // BAD_COMMAND
        }
    }

    /// The group a GROUP_MOD ADD or MODIFY describes, checked.
    func entry(_ groupMod: OpenFlowGroupMod, program: SwitchProgram) throws(OpenFlowError) -> GroupEntry {
        guard let kind = GroupEntry.Kind(rawValue: groupMod.groupType) else { throw Self.failed(10) }  // BAD_TYPE
        guard groupMod.buckets.count <= bucketCapacity else { throw Self.failed(4) }  // OUT_OF_BUCKETS
        if kind == .indirect && groupMod.buckets.count != 1 { throw Self.failed(12) }  // BAD_BUCKET: one bucket
        var buckets: [GroupEntry.Bucket] = []
        for bucket in groupMod.buckets {
            guard !bucket.actions.contains(where: { if case .group = $0 { true } else { false } }) else {
                throw Self.failed(5)  // CHAINING_UNSUPPORTED
            }
            guard bucket.watchGroup == OpenFlowGroupMod.any else { throw Self.failed(6) }  // WATCH_UNSUPPORTED
            var watch: UInt16?
            if bucket.watchPort != OpenFlowAction.any {
                guard bucket.watchPort >= 1, bucket.watchPort <= UInt32(UInt16.max), ports.contains(UInt16(bucket.watchPort - 1)) else {
                    throw Self.failed(13)  // BAD_WATCH
                }
                watch = UInt16(bucket.watchPort - 1)
            }
            if kind == .fastFailover && watch == nil { throw Self.failed(13) }  // BAD_WATCH: failover needs one
            if kind != .select && bucket.weight != 0 { throw Self.failed(2) }  // WEIGHT_UNSUPPORTED: select only
            let actions = try OpenFlowActionTranslator.flowActions(bucket.actions, ports: ports)
            if kind == .all {
                // A copy per bucket: outputs, floods and rewrites of that copy.
                for action in actions {
                    switch action {
                    case .normal, .controller, .chain, .gotoTable, .meter, .group: throw Self.failed(12)  // BAD_BUCKET
                    default: break
                    }
                }
            }
            buckets.append(GroupEntry.Bucket(weight: kind == .select ? bucket.weight : 0, watchPort: watch, actions: actions))
        }
        return GroupEntry(id: groupMod.groupID, kind: kind, buckets: buckets)
    }

    /// True when `actions` send to one of `groups`.
    static func sends(_ actions: [FlowAction], toAnyOf groups: Set<UInt32>) -> Bool {
        actions.contains { action in
            switch action {
            case .group(let id), .write(.group(let id)): groups.contains(id)
            default: false
            }
        }
    }

    /// The group as GROUP_DESC shows it.
    public static func description(_ group: GroupEntry) -> OpenFlowGroupMod {
        OpenFlowGroupMod(
            command: 0, groupType: group.kind.rawValue, groupID: group.id,
            buckets: group.buckets.map { bucket in
                OpenFlowBucket(
                    weight: bucket.weight, watchPort: bucket.watchPort.map { UInt32($0) + 1 } ?? OpenFlowAction.any,
                    watchGroup: OpenFlowGroupMod.any, actions: OpenFlowActionTranslator.actionList(bucket.actions))
            })
    }
}
