/// OFPT_MULTIPART_REQUEST's body: what statistics or description the controller asks for.
/// A type this codec does not know keeps its number and body (`other`), for an
/// OFPBRC_BAD_MULTIPART answer.
public enum OpenFlowMultipartRequest: Sendable, Equatable {
    /// OFPMP_DESC: the switch's manufacturer, hardware, software, serial and datapath text.
    case description
    /// OFPMP_FLOW: every flow that the filter selects.
    case flow(OpenFlowFlowFilter)
    /// OFPMP_AGGREGATE: the packet, byte and flow counts of the flows the filter selects.
    case aggregate(OpenFlowFlowFilter)
    /// OFPMP_TABLE: per-table counters.
    case table
    /// OFPMP_PORT_STATS of one port (OFPP_ANY: all).
    case portStats(port: UInt32)
    /// OFPMP_GROUP of one group (OFPG_ALL: all).
    case groupStats(group: UInt32)
    case groupDescription
    case groupFeatures
    /// OFPMP_METER of one meter (OFPM_ALL: all).
    case meterStats(meter: UInt32)
    /// OFPMP_METER_CONFIG of one meter (OFPM_ALL: all).
    case meterConfig(meter: UInt32)
    case meterFeatures
    /// OFPMP_TABLE_FEATURES: empty to ask, or the tables the controller wants set.
    case tableFeatures([OpenFlowTableFeatures])
    /// OFPMP_PORT_DESC: every port.
    case portDescription
    case other(type: UInt16, body: [UInt8])

    /// `ofp_multipart_type`.
    public var type: UInt16 {
        switch self {
        case .description: 0
        case .flow: 1
        case .aggregate: 2
        case .table: 3
        case .portStats: 4
        case .groupStats: 6
        case .groupDescription: 7
        case .groupFeatures: 8
        case .meterStats: 9
        case .meterConfig: 10
        case .meterFeatures: 11
        case .tableFeatures: 12
        case .portDescription: 13
        case .other(let type, _): type
        }
    }

    static func decode(type: UInt16, _ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowMultipartRequest {
        switch type {
        case 0: return try OpenFlowCodec.empty(.description, reader)
        case 1: return .flow(try OpenFlowFlowFilter.decode(&reader))
        case 2: return .aggregate(try OpenFlowFlowFilter.decode(&reader))
        case 3: return try OpenFlowCodec.empty(.table, reader)
        case 4, 6, 9, 10:
            try reader.need(8)
            let number = reader.u32()
            try reader.skip(4)
            let request: OpenFlowMultipartRequest =
                switch type {
                case 4: .portStats(port: number)
                case 6: .groupStats(group: number)
                case 9: .meterStats(meter: number)
                default: .meterConfig(meter: number)
                }
            return try OpenFlowCodec.empty(request, reader)
        case 7: return try OpenFlowCodec.empty(.groupDescription, reader)
        case 8: return try OpenFlowCodec.empty(.groupFeatures, reader)
        case 11: return try OpenFlowCodec.empty(.meterFeatures, reader)
        case 12: return .tableFeatures(try OpenFlowTableFeatures.decodeList(&reader))
        case 13: return try OpenFlowCodec.empty(.portDescription, reader)
        default: return .other(type: type, body: reader.rest())
        }
    }

    func encode(_ writer: inout WireWriter) {
        switch self {
        case .description, .table, .groupDescription, .groupFeatures, .meterFeatures, .portDescription: break
        case .flow(let filter), .aggregate(let filter): filter.encode(&writer)
        case .portStats(let number), .groupStats(let number), .meterStats(let number), .meterConfig(let number):
            writer.u32(number)
            writer.zeros(4)
        case .tableFeatures(let tables): for table in tables { table.encode(&writer) }
        case .other(_, let body): writer.bytes(body)
        }
    }
}

/// Which flows a FLOW or AGGREGATE request (and a delete) selects: a table (OFPTT_ALL: every
/// table), out_port / out_group (ANY: no filter), a cookie under a mask, and a match that the
/// flows' matches must be at least as specific as.
public struct OpenFlowFlowFilter: Sendable, Equatable {
    public var tableID: UInt8
    public var outPort: UInt32
    public var outGroup: UInt32
    public var cookie: UInt64
    public var cookieMask: UInt64
    public var match: OpenFlowMatch

    /// OFPTT_ALL.
    public static let allTables: UInt8 = 0xFF

    public init(
        tableID: UInt8 = OpenFlowFlowFilter.allTables, outPort: UInt32 = OpenFlowAction.any, outGroup: UInt32 = OpenFlowGroupMod.any,
        cookie: UInt64 = 0, cookieMask: UInt64 = 0, match: OpenFlowMatch = OpenFlowMatch(fields: [])
    ) {
        self.tableID = tableID
        self.outPort = outPort
        self.outGroup = outGroup
        self.cookie = cookie
        self.cookieMask = cookieMask
        self.match = match
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowFlowFilter {
        try reader.need(32)
        let table = reader.u8()
        try reader.skip(3)
        let outPort = reader.u32()
        let outGroup = reader.u32()
        try reader.skip(4)
        let cookie = reader.u64()
        let cookieMask = reader.u64()
        let match = try OpenFlowMatch.decode(&reader)
        return try OpenFlowCodec.empty(
            OpenFlowFlowFilter(tableID: table, outPort: outPort, outGroup: outGroup, cookie: cookie, cookieMask: cookieMask, match: match),
            reader)
    }

    func encode(_ writer: inout WireWriter) {
        writer.u8(tableID)
        writer.zeros(3)
        writer.u32(outPort)
        writer.u32(outGroup)
        writer.zeros(4)
        writer.u64(cookie)
        writer.u64(cookieMask)
        match.encode(&writer)
    }
}
