/// An OpenFlow 1.3 action (`ofp_action_*`). Types this codec does not model keep their body.
public enum OpenFlowAction: Sendable, Equatable {
    /// OFPAT_OUTPUT: a port (or OFPP_IN_PORT, OFPP_TABLE, OFPP_NORMAL, OFPP_FLOOD, OFPP_ALL,
    /// OFPP_CONTROLLER with `maxLength` bytes) .
    case output(port: UInt32, maxLength: UInt16)
    case copyTTLOut
    case copyTTLIn
    case setMPLSTTL(UInt8)
    case decMPLSTTL
    case pushVLAN(etherType: UInt16)
    case popVLAN
    case pushMPLS(etherType: UInt16)
    case popMPLS(etherType: UInt16)
    case setQueue(UInt32)
    case group(UInt32)
    case setNetworkTTL(UInt8)
    case decNetworkTTL
    case setField(OXMField)
    case pushPBB(etherType: UInt16)
    case popPBB
    case experimenter(id: UInt32, data: [UInt8])
    case other(type: UInt16, body: [UInt8])

    // Reserved ports (OpenFlow 1.3.5, 7.2.1).
    public static let inPort: UInt32 = 0xFFFF_FFF8
    public static let table: UInt32 = 0xFFFF_FFF9
    public static let normal: UInt32 = 0xFFFF_FFFA
    public static let flood: UInt32 = 0xFFFF_FFFB
    public static let all: UInt32 = 0xFFFF_FFFC
    public static let controller: UInt32 = 0xFFFF_FFFD
    public static let any: UInt32 = 0xFFFF_FFFF

    static func decodeList(_ reader: inout WireReader) throws(WireReader.Short) -> [OpenFlowAction] {
        var actions: [OpenFlowAction] = []
        while reader.remaining > 0 { actions.append(try decode(&reader)) }
        return actions
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowAction {
        try reader.need(4)
        let type = reader.u16()
        let length = Int(reader.u16())
        guard length >= 8, length % 8 == 0 else { throw WireReader.Short() }
        var body = try reader.take(length - 4)
        func etherType() -> UInt16 { body.u16() }
        switch type {
        case 0:
            let port = body.u32()
            return .output(port: port, maxLength: body.u16())
        case 11: return .copyTTLOut
        case 12: return .copyTTLIn
        case 15: return .setMPLSTTL(body.u8())
        case 16: return .decMPLSTTL
        case 17: return .pushVLAN(etherType: etherType())
        case 18: return .popVLAN
        case 19: return .pushMPLS(etherType: etherType())
        case 20: return .popMPLS(etherType: etherType())
        case 21: return .setQueue(body.u32())
        case 22: return .group(body.u32())
        case 23: return .setNetworkTTL(body.u8())
        case 24: return .decNetworkTTL
        case 25: return .setField(try OXMField.decode(&body))
        case 26: return .pushPBB(etherType: etherType())
        case 27: return .popPBB
        case 0xFFFF: return .experimenter(id: body.u32(), data: body.rest())
        default: return .other(type: type, body: body.rest())
        }
    }

    func encode(_ writer: inout WireWriter) {
        let start = writer.bytes.count
        writer.u16(type)
        writer.u16(0)
        switch self {
        case .output(let port, let maxLength):
            writer.u32(port)
            writer.u16(maxLength)
        case .copyTTLOut, .copyTTLIn, .decMPLSTTL, .popVLAN, .decNetworkTTL, .popPBB: break
        case .setMPLSTTL(let ttl), .setNetworkTTL(let ttl): writer.u8(ttl)
        case .pushVLAN(let etherType), .pushMPLS(let etherType), .popMPLS(let etherType), .pushPBB(let etherType):
            writer.u16(etherType)
        case .setQueue(let value), .group(let value): writer.u32(value)
        case .setField(let field): field.encode(&writer)
        case .experimenter(let id, let data):
            writer.u32(id)
            writer.bytes(data)
        case .other(_, let body): writer.bytes(body)
        }
        // Every action is padded to 8 bytes (the minimum is 8).
        let length = max(8, (writer.bytes.count - start + 7) / 8 * 8)
        writer.zeros(length - (writer.bytes.count - start))
        writer.setU16(at: start + 2, UInt16(length))
    }

    /// `ofp_action_type`.
    public var type: UInt16 {
        switch self {
        case .output: 0
        case .copyTTLOut: 11
        case .copyTTLIn: 12
        case .setMPLSTTL: 15
        case .decMPLSTTL: 16
        case .pushVLAN: 17
        case .popVLAN: 18
        case .pushMPLS: 19
        case .popMPLS: 20
        case .setQueue: 21
        case .group: 22
        case .setNetworkTTL: 23
        case .decNetworkTTL: 24
        case .setField: 25
        case .pushPBB: 26
        case .popPBB: 27
        case .experimenter: 0xFFFF
        case .other(let type, _): type
        }
    }
}
