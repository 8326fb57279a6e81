/// One group of an OFPMP_GROUP reply (`ofp_group_stats`): its counters and each bucket's.
public struct OpenFlowGroupStats: Sendable, Equatable {
    public var groupID: UInt32
    /// Flows (and groups) that point at the group.
    public var referenceCount: UInt32
    public var packetCount: UInt64
    public var byteCount: UInt64
    public var durationSeconds: UInt32
    public var durationNanoseconds: UInt32
    /// (packets, bytes) per bucket, in bucket order.
    public var buckets: [OpenFlowCounter]

    public init(
        groupID: UInt32, referenceCount: UInt32, packetCount: UInt64, byteCount: UInt64, durationSeconds: UInt32,
        durationNanoseconds: UInt32, buckets: [OpenFlowCounter]
    ) {
        self.groupID = groupID
        self.referenceCount = referenceCount
        self.packetCount = packetCount
        self.byteCount = byteCount
        self.durationSeconds = durationSeconds
        self.durationNanoseconds = durationNanoseconds
        self.buckets = buckets
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowGroupStats {
        try reader.need(40)
        let length = Int(reader.u16())
        guard length >= 40 else { throw WireReader.Short() }
        var entry = try reader.take(length - 2)
        try entry.skip(2)
        let group = entry.u32()
        let references = entry.u32()
        try entry.skip(4)
        let packets = entry.u64()
        let bytes = entry.u64()
        let seconds = entry.u32()
        let nanoseconds = entry.u32()
        return OpenFlowGroupStats(
            groupID: group, referenceCount: references, packetCount: packets, byteCount: bytes, durationSeconds: seconds,
            durationNanoseconds: nanoseconds, buckets: try OpenFlowCounter.decodeList(&entry))
    }

    func encode(_ writer: inout WireWriter) {
        writer.u16(UInt16(40 + 16 * buckets.count))
        writer.zeros(2)
        writer.u32(groupID)
        writer.u32(referenceCount)
        writer.zeros(4)
        writer.u64(packetCount)
        writer.u64(byteCount)
        writer.u32(durationSeconds)
        writer.u32(durationNanoseconds)
        for bucket in buckets { bucket.encode(&writer) }
    }
}

/// A packet and byte count (a group's bucket, a meter's band).
public struct OpenFlowCounter: Sendable, Equatable {
    public var packets: UInt64
    public var bytes: UInt64

    public init(packets: UInt64, bytes: UInt64) {
        self.packets = packets
        self.bytes = bytes
    }

    static func decodeList(_ reader: inout WireReader) throws(WireReader.Short) -> [OpenFlowCounter] {
        var counters: [OpenFlowCounter] = []
        while reader.remaining > 0 {
            try reader.need(16)
            counters.append(OpenFlowCounter(packets: reader.u64(), bytes: reader.u64()))
        }
        return counters
    }

    func encode(_ writer: inout WireWriter) {
        writer.u64(packets)
        writer.u64(bytes)
    }
}

/// OFPMP_GROUP_FEATURES's reply: which group types, capabilities and actions the switch has.
public struct OpenFlowGroupFeatures: Sendable, Equatable {
    /// Bit n: group type n supported.
    public var types: UInt32
    /// OFPGFC_SELECT_WEIGHT 1, SELECT_LIVENESS 2, CHAINING 4, CHAINING_CHECKS 8.
    public var capabilities: UInt32
    /// The most groups of each type.
    public var maxGroups: [UInt32]
    /// Bit n: action type n supported, per group type.
    public var actions: [UInt32]

    public init(types: UInt32, capabilities: UInt32, maxGroups: [UInt32], actions: [UInt32]) {
        self.types = types
        self.capabilities = capabilities
        self.maxGroups = maxGroups
        self.actions = actions
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowGroupFeatures {
        try reader.need(40)
        let types = reader.u32()
        let capabilities = reader.u32()
        let maxGroups = (0..<4).map { _ in reader.u32() }
        return OpenFlowGroupFeatures(types: types, capabilities: capabilities, maxGroups: maxGroups, actions: (0..<4).map { _ in reader.u32() })
    }

    func encode(_ writer: inout WireWriter) {
        writer.u32(types)
        writer.u32(capabilities)
        for index in 0..<4 { writer.u32(index < maxGroups.count ? maxGroups[index] : 0) }
        for index in 0..<4 { writer.u32(index < actions.count ? actions[index] : 0) }
    }
}
