/// A bucket of a group (`ofp_bucket`): the actions one copy of the packet takes.
public struct OpenFlowBucket: Sendable, Equatable {
    /// Relative share in a SELECT group (0 elsewhere).
    public var weight: UInt16
    /// The port (FAST_FAILOVER) whose liveness decides whether the bucket may be used
    /// (OFPP_ANY: none).
    public var watchPort: UInt32
    /// The group whose liveness decides it (OFPG_ANY: none).
    public var watchGroup: UInt32
    public var actions: [OpenFlowAction]

    public init(weight: UInt16 = 0, watchPort: UInt32 = OpenFlowAction.any, watchGroup: UInt32 = OpenFlowGroupMod.any, actions: [OpenFlowAction]) {
        self.weight = weight
        self.watchPort = watchPort
        self.watchGroup = watchGroup
        self.actions = actions
    }

    static func decodeList(_ reader: inout WireReader) throws(WireReader.Short) -> [OpenFlowBucket] {
        var buckets: [OpenFlowBucket] = []
        while reader.remaining > 0 {
            try reader.need(16)
            let length = Int(reader.u16())
            guard length >= 16 else { throw WireReader.Short() }
            let weight = reader.u16()
            let watchPort = reader.u32()
            let watchGroup = reader.u32()
            try reader.skip(4)
            var actions = try reader.take(length - 16)
            buckets.append(
                OpenFlowBucket(weight: weight, watchPort: watchPort, watchGroup: watchGroup, actions: try OpenFlowAction.decodeList(&actions)))
        }
        return buckets
    }

    func encode(_ writer: inout WireWriter) {
        let start = writer.bytes.count
        writer.u16(0)
        writer.u16(weight)
        writer.u32(watchPort)
        writer.u32(watchGroup)
        writer.zeros(4)
        for action in actions { action.encode(&writer) }
        writer.setU16(at: start, UInt16(writer.bytes.count - start))
    }
}

/// OFPT_GROUP_MOD's body: add, modify or delete a group of the group table.
public struct OpenFlowGroupMod: Sendable, Equatable {
    /// OFPGC_ADD 0, MODIFY 1, DELETE 2.
    public var command: UInt16
    /// OFPGT_ALL 0, SELECT 1, INDIRECT 2, FF (fast failover) 3.
    public var groupType: UInt8
    public var groupID: UInt32
    public var buckets: [OpenFlowBucket]

    /// OFPG_ALL: every group (in a delete or a stats request).
    public static let all: UInt32 = 0xFFFF_FFFC
    /// OFPG_ANY: no group (a wildcard in a filter).
    public static let any: UInt32 = 0xFFFF_FFFF
    /// OFPG_MAX: the last ordinary group number.
    public static let max: UInt32 = 0xFFFF_FF00

    public init(command: UInt16, groupType: UInt8, groupID: UInt32, buckets: [OpenFlowBucket]) {
        self.command = command
        self.groupType = groupType
        self.groupID = groupID
        self.buckets = buckets
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowGroupMod {
        try reader.need(8)
        let command = reader.u16()
        let type = reader.u8()
        try reader.skip(1)
        let group = reader.u32()
        return OpenFlowGroupMod(command: command, groupType: type, groupID: group, buckets: try OpenFlowBucket.decodeList(&reader))
    }

    func encode(_ writer: inout WireWriter) {
        writer.u16(command)
        writer.u8(groupType)
        writer.zeros(1)
        writer.u32(groupID)
        for bucket in buckets { bucket.encode(&writer) }
    }
}
