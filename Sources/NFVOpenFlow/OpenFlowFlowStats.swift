/// One flow of an OFPMP_FLOW reply (`ofp_flow_stats`).
public struct OpenFlowFlowStats: Sendable, Equatable {
    public var tableID: UInt8
    public var durationSeconds: UInt32
    public var durationNanoseconds: UInt32
    public var priority: UInt16
    public var idleTimeout: UInt16
    public var hardTimeout: UInt16
    /// OFPFF_* as the flow was added with.
    public var flags: UInt16
    public var cookie: UInt64
    public var packetCount: UInt64
    public var byteCount: UInt64
    public var match: OpenFlowMatch
    public var instructions: [OpenFlowInstruction]

    public init(
        tableID: UInt8, durationSeconds: UInt32, durationNanoseconds: UInt32, priority: UInt16, idleTimeout: UInt16, hardTimeout: UInt16,
        flags: UInt16, cookie: UInt64, packetCount: UInt64, byteCount: UInt64, match: OpenFlowMatch, instructions: [OpenFlowInstruction]
    ) {
        self.tableID = tableID
        self.durationSeconds = durationSeconds
        self.durationNanoseconds = durationNanoseconds
        self.priority = priority
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
        self.flags = flags
        self.cookie = cookie
        self.packetCount = packetCount
        self.byteCount = byteCount
        self.match = match
        self.instructions = instructions
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowFlowStats {
        try reader.need(48)
        let length = Int(reader.u16())
        guard length >= 48 else { throw WireReader.Short() }
        var entry = try reader.take(length - 2)
        let table = entry.u8()
        try entry.skip(1)
        let seconds = entry.u32()
        let nanoseconds = entry.u32()
        let priority = entry.u16()
        let idle = entry.u16()
        let hard = entry.u16()
        let flags = entry.u16()
        try entry.skip(4)
        let cookie = entry.u64()
        let packets = entry.u64()
        let bytes = entry.u64()
        let match = try OpenFlowMatch.decode(&entry)
        return OpenFlowFlowStats(
            tableID: table, durationSeconds: seconds, durationNanoseconds: nanoseconds, priority: priority, idleTimeout: idle,
            hardTimeout: hard, flags: flags, cookie: cookie, packetCount: packets, byteCount: bytes, match: match,
            instructions: try OpenFlowInstruction.decodeList(&entry))
    }

    func encode(_ writer: inout WireWriter) {
        let start = writer.bytes.count
        writer.u16(0)
        writer.u8(tableID)
        writer.zeros(1)
        writer.u32(durationSeconds)
        writer.u32(durationNanoseconds)
        writer.u16(priority)
        writer.u16(idleTimeout)
        writer.u16(hardTimeout)
        writer.u16(flags)
        writer.zeros(4)
        writer.u64(cookie)
        writer.u64(packetCount)
        writer.u64(byteCount)
        match.encode(&writer)
        for instruction in instructions { instruction.encode(&writer) }
        writer.setU16(at: start, UInt16(writer.bytes.count - start))
    }
}
