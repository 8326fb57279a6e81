/// OFPT_MULTIPART_REPLY's body: the statistics or descriptions a request asked for (one
/// message of a reply; a long reply is several messages, all but the last flagged
/// OFPMPF_REPLY_MORE).
public enum OpenFlowMultipartReply: Sendable, Equatable {
    case description(OpenFlowSwitchDescription)
    case flow([OpenFlowFlowStats])
    case aggregate(packetCount: UInt64, byteCount: UInt64, flowCount: UInt32)
    case table([OpenFlowTableStats])
    case portStats([OpenFlowPortStats])
    case groupStats([OpenFlowGroupStats])
    /// One `OpenFlowGroupMod` per group (its command unused: 0).
    case groupDescription([OpenFlowGroupMod])
    case groupFeatures(OpenFlowGroupFeatures)
    case meterStats([OpenFlowMeterStats])
    /// One `OpenFlowMeterMod` per meter (its command unused: 0).
    case meterConfig([OpenFlowMeterMod])
    case meterFeatures(OpenFlowMeterFeatures)
    case tableFeatures([OpenFlowTableFeatures])
    case portDescription([OpenFlowPort])
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

    static func decode(type: UInt16, _ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowMultipartReply {
        switch type {
        case 0: return .description(try OpenFlowCodec.empty(try OpenFlowSwitchDescription.decode(&reader), reader))
        case 1: return .flow(try list(&reader, OpenFlowFlowStats.decode))
        case 2:
            try reader.need(24)
            let packets = reader.u64()
            let bytes = reader.u64()
            let flows = reader.u32()
            try reader.skip(4)
            return try OpenFlowCodec.empty(.aggregate(packetCount: packets, byteCount: bytes, flowCount: flows), reader)
        case 3: return .table(try list(&reader, OpenFlowTableStats.decode))
        case 4: return .portStats(try list(&reader, OpenFlowPortStats.decode))
        case 6: return .groupStats(try list(&reader, OpenFlowGroupStats.decode))
        case 7:
            return .groupDescription(
                try list(&reader) { (reader: inout WireReader) throws(WireReader.Short) in
                    try reader.need(8)
                    let length = Int(reader.u16())
                    guard length >= 8 else { throw WireReader.Short() }
                    let groupType = reader.u8()
                    try reader.skip(1)
                    let group = reader.u32()
                    var buckets = try reader.take(length - 8)
                    return OpenFlowGroupMod(command: 0, groupType: groupType, groupID: group, buckets: try OpenFlowBucket.decodeList(&buckets))
                })
        case 8: return .groupFeatures(try OpenFlowCodec.empty(try OpenFlowGroupFeatures.decode(&reader), reader))
        case 9: return .meterStats(try list(&reader, OpenFlowMeterStats.decode))
        case 10:
            return .meterConfig(
                try list(&reader) { (reader: inout WireReader) throws(WireReader.Short) in
                    try reader.need(8)
                    let length = Int(reader.u16())
                    guard length >= 8 else { throw WireReader.Short() }
                    let flags = reader.u16()
                    let meter = reader.u32()
                    var bands = try reader.take(length - 8)
                    return OpenFlowMeterMod(flags: flags, meterID: meter, bands: try OpenFlowMeterBand.decodeList(&bands))
                })
        case 11: return .meterFeatures(try OpenFlowCodec.empty(try OpenFlowMeterFeatures.decode(&reader), reader))
        case 12: return .tableFeatures(try OpenFlowTableFeatures.decodeList(&reader))
        case 13: return .portDescription(try list(&reader, OpenFlowPort.decode))
        default: return .other(type: type, body: reader.rest())
        }
    }

    /// Entries until the body ends.
    static func list<Entry>(
        _ reader: inout WireReader, _ decode: (inout WireReader) throws(WireReader.Short) -> Entry
    ) throws(WireReader.Short) -> [Entry] {
        var entries: [Entry] = []
        while reader.remaining > 0 { entries.append(try decode(&reader)) }
        return entries
    }

    func encode(_ writer: inout WireWriter) {
        switch self {
        case .description(let description): description.encode(&writer)
        case .flow(let flows): for flow in flows { flow.encode(&writer) }
        case .aggregate(let packets, let bytes, let flows):
            writer.u64(packets)
            writer.u64(bytes)
            writer.u32(flows)
            writer.zeros(4)
        case .table(let tables): for table in tables { table.encode(&writer) }
        case .portStats(let ports): for port in ports { port.encode(&writer) }
        case .groupStats(let groups): for group in groups { group.encode(&writer) }
        case .groupDescription(let groups):
            for group in groups {
                let start = writer.bytes.count
                writer.u16(0)
                writer.u8(group.groupType)
                writer.zeros(1)
                writer.u32(group.groupID)
                for bucket in group.buckets { bucket.encode(&writer) }
                writer.setU16(at: start, UInt16(writer.bytes.count - start))
            }
        case .groupFeatures(let features): features.encode(&writer)
        case .meterStats(let meters): for meter in meters { meter.encode(&writer) }
        case .meterConfig(let meters):
            for meter in meters {
                let start = writer.bytes.count
                writer.u16(0)
                writer.u16(meter.flags)
                writer.u32(meter.meterID)
                for band in meter.bands { band.encode(&writer) }
                writer.setU16(at: start, UInt16(writer.bytes.count - start))
            }
        case .meterFeatures(let features): features.encode(&writer)
        case .tableFeatures(let tables): for table in tables { table.encode(&writer) }
        case .portDescription(let ports): for port in ports { port.encode(&writer) }
        case .other(_, let body): writer.bytes(body)
        }
    }
}
