/// An OpenFlow 1.3 instruction (`ofp_instruction_*`) of a flow.
public enum OpenFlowInstruction: Sendable, Equatable {
    case gotoTable(UInt8)
    case writeMetadata(value: UInt64, mask: UInt64)
    case writeActions([OpenFlowAction])
    case applyActions([OpenFlowAction])
    case clearActions
    case meter(UInt32)
    case experimenter(id: UInt32, data: [UInt8])
    case other(type: UInt16, body: [UInt8])

    /// `ofp_instruction_type`.
    public var type: UInt16 {
        switch self {
        case .gotoTable: 1
        case .writeMetadata: 2
        case .writeActions: 3
        case .applyActions: 4
        case .clearActions: 5
        case .meter: 6
        case .experimenter: 0xFFFF
        case .other(let type, _): type
        }
    }

    static func decodeList(_ reader: inout WireReader) throws(WireReader.Short) -> [OpenFlowInstruction] {
        var instructions: [OpenFlowInstruction] = []
        while reader.remaining > 0 {
            try reader.need(4)
            let type = reader.u16()
            let length = Int(reader.u16())
            guard length >= 8, length % 8 == 0 else { throw WireReader.Short() }
            var body = try reader.take(length - 4)
            switch type {
            case 1: instructions.append(.gotoTable(body.u8()))
            case 2:
                try body.skip(4)
                let value = body.u64()
                instructions.append(.writeMetadata(value: value, mask: body.u64()))
            case 3, 4:
                try body.skip(4)
                let actions = try OpenFlowAction.decodeList(&body)
                instructions.append(type == 3 ? .writeActions(actions) : .applyActions(actions))
            case 5: instructions.append(.clearActions)
            case 6: instructions.append(.meter(body.u32()))
            case 0xFFFF: instructions.append(.experimenter(id: body.u32(), data: body.rest()))
            default: instructions.append(.other(type: type, body: body.rest()))
            }
        }
        return instructions
    }

    func encode(_ writer: inout WireWriter) {
        let start = writer.bytes.count
        writer.u16(type)
        writer.u16(0)
        switch self {
        case .gotoTable(let table):
            writer.u8(table)
            writer.zeros(3)
        case .writeMetadata(let value, let mask):
            writer.zeros(4)
            writer.u64(value)
            writer.u64(mask)
        case .writeActions(let actions), .applyActions(let actions):
            writer.zeros(4)
            for action in actions { action.encode(&writer) }
        case .clearActions: writer.zeros(4)
        case .meter(let meter): writer.u32(meter)
        case .experimenter(let id, let data):
            writer.u32(id)
            writer.bytes(data)
        case .other(_, let body): writer.bytes(body)
        }
        writer.zeros((8 - (writer.bytes.count - start) % 8) % 8)
        writer.setU16(at: start + 2, UInt16(writer.bytes.count - start))
    }
}

/// OFPT_FLOW_MOD's body: add, modify or delete flows.
public struct OpenFlowFlowMod: Sendable, Equatable {
    public var cookie: UInt64
    public var cookieMask: UInt64
    public var tableID: UInt8
    /// OFPFC_ADD 0, MODIFY 1, MODIFY_STRICT 2, DELETE 3, DELETE_STRICT 4.
    public var command: UInt8
    public var idleTimeout: UInt16
    public var hardTimeout: UInt16
    public var priority: UInt16
    public var bufferID: UInt32
    public var outPort: UInt32
    public var outGroup: UInt32
    /// OFPFF_SEND_FLOW_REM 1, CHECK_OVERLAP 2, RESET_COUNTS 4, NO_PKT_COUNTS 8, NO_BYT_COUNTS 16.
    public var flags: UInt16
    public var match: OpenFlowMatch
    public var instructions: [OpenFlowInstruction]

    public init(
        cookie: UInt64 = 0, cookieMask: UInt64 = 0, tableID: UInt8 = 0, command: UInt8 = 0, idleTimeout: UInt16 = 0,
        hardTimeout: UInt16 = 0, priority: UInt16 = 0x8000, bufferID: UInt32 = 0xFFFF_FFFF, outPort: UInt32 = 0xFFFF_FFFF,
        outGroup: UInt32 = 0xFFFF_FFFF, flags: UInt16 = 0, match: OpenFlowMatch = .init(), instructions: [OpenFlowInstruction] = []
    ) {
        self.cookie = cookie
        self.cookieMask = cookieMask
        self.tableID = tableID
        self.command = command
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
        self.priority = priority
        self.bufferID = bufferID
        self.outPort = outPort
        self.outGroup = outGroup
        self.flags = flags
        self.match = match
        self.instructions = instructions
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowFlowMod {
        try reader.need(40)
        var flowMod = OpenFlowFlowMod()
        flowMod.cookie = reader.u64()
        flowMod.cookieMask = reader.u64()
        flowMod.tableID = reader.u8()
        flowMod.command = reader.u8()
        flowMod.idleTimeout = reader.u16()
        flowMod.hardTimeout = reader.u16()
        flowMod.priority = reader.u16()
        flowMod.bufferID = reader.u32()
        flowMod.outPort = reader.u32()
        flowMod.outGroup = reader.u32()
        flowMod.flags = reader.u16()
        try reader.skip(2)
        flowMod.match = try OpenFlowMatch.decode(&reader)
        flowMod.instructions = try OpenFlowInstruction.decodeList(&reader)
        return flowMod
    }

    func encode(_ writer: inout WireWriter) {
        writer.u64(cookie)
        writer.u64(cookieMask)
        writer.u8(tableID)
        writer.u8(command)
        writer.u16(idleTimeout)
        writer.u16(hardTimeout)
        writer.u16(priority)
        writer.u32(bufferID)
        writer.u32(outPort)
        writer.u32(outGroup)
        writer.u16(flags)
        writer.zeros(2)
        match.encode(&writer)
        for instruction in instructions { instruction.encode(&writer) }
    }
}
