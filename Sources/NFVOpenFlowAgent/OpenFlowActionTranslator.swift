import NFVOpenFlow
import NFVPacket
import NFVSwitch

/// A flow's OpenFlow instructions to the switch's action list and back. The switch runs an
/// action list per flow (meter first, then apply_actions, clear_actions, write_actions, and
/// write_metadata, goto_table at its end), and an action set per packet that runs where the
/// pipeline ends.
/// Actions: OUTPUT to a switch port, IN_PORT, ALL, NORMAL, FLOOD or CONTROLLER; GROUP; DEC_NW_TTL; SET_FIELD of
/// Ethernet addresses, VLAN ID, IPv4 addresses and TCP/UDP ports; PUSH_VLAN, POP_VLAN.
/// Anything else is the spec's OFPET_BAD_ACTION error, so a controller learns what it cannot
/// rely on. A group or meter a flow names must exist (OFPBAC_BAD_OUT_GROUP,
/// OFPMMFC_UNKNOWN_METER).
public enum OpenFlowActionTranslator {
    static let badAction: UInt16 = 2
    static let badInstruction: UInt16 = 3
    static func actionError(_ code: UInt16) -> OpenFlowError { OpenFlowError(type: badAction, code: code) }
    static func instructionError(_ code: UInt16) -> OpenFlowError { OpenFlowError(type: badInstruction, code: code) }

    /// An experimenter id for the switch's own service-path action (`chain:NAME`), which has
    /// no OpenFlow form: "NFV" in ASCII.
    public static let pathExperimenter: UInt32 = 0x004E_4656

    /// The switch's actions for `instructions` of a flow in `table` (goto_table must point
    /// to a later table below `tableCount`; groups and meters must be in `program`).
    public static func flowActions(
        _ instructions: [OpenFlowInstruction], table: UInt8, tableCount: Int, ports: Set<UInt16>,
        program: SwitchProgram = SwitchProgram()
    ) throws(OpenFlowError) -> [FlowAction] {
        var actions: [FlowAction] = []
        var goto: FlowAction?
        var meter: FlowAction?
        var clears: [FlowAction] = []
        var written: [FlowAction] = []
        var metadata: [FlowAction] = []
        var seen = Set<UInt16>()
        for instruction in instructions {
            guard seen.insert(instruction.type).inserted else { throw instructionError(1) }  // one of each
            switch instruction {
            case .applyActions(let list): actions += try flowActions(list, ports: ports, groups: program.groups)
            case .gotoTable(let next):
                guard next > table, Int(next) < tableCount else { throw instructionError(2) }  // BAD_TABLE_ID
                goto = .gotoTable(next)
            case .experimenter: throw instructionError(5)  // BAD_EXPERIMENTER
            case .other: throw instructionError(0)  // UNKNOWN_INST
            case .meter(let id):
                guard program.meters[id] != nil else { throw OpenFlowError(type: OpenFlowMeterEditor.meterModFailed, code: 3) }  // UNKNOWN_METER
                meter = .meter(id)
            case .clearActions: clears = [.clearActions]
            case .writeActions(let list):
                for action in try flowActions(list, ports: ports, groups: program.groups) {
                    if case .chain = action { throw actionError(0) }  // not in an action set
                    written.append(.write(action))
                }
            case .writeMetadata(let value, let mask): metadata = [.writeMetadata(value: value, mask: mask)]
            }
        }
        // The spec's order of instructions: meter, apply, clear, write, write_metadata, goto.
        return (meter.map { [$0] } ?? []) + actions + clears + written + metadata + (goto.map { [$0] } ?? [])
    }

    /// The switch's actions for an action list (an apply_actions instruction, a packet-out, a
    /// bucket); a GROUP action must name one of `groups`.
    public static func flowActions(
        _ list: [OpenFlowAction], ports: Set<UInt16>, groups: [UInt32: GroupEntry] = [:]
    ) throws(OpenFlowError) -> [FlowAction] {
        var actions: [FlowAction] = []
        for action in list {
            switch action {
            case .group(let id):
                guard groups[id] != nil else { throw actionError(9) }  // BAD_OUT_GROUP
                actions.append(.group(id))
            case .output(let port, _):
                switch port {
                case OpenFlowAction.normal: actions.append(.normal)
                // ALL: every port but the ingress; the ports of an OpenFlow switch carry every
                // VLAN and none is kept out of floods, so it is FLOOD here.
                case OpenFlowAction.flood, OpenFlowAction.all: actions.append(.flood)
                case OpenFlowAction.inPort: actions.append(.inPort)
                case OpenFlowAction.controller: actions.append(.controller)
                default:
                    guard port >= 1, port <= UInt32(UInt16.max), ports.contains(UInt16(port - 1)) else { throw actionError(4) }  // BAD_OUT_PORT
                    actions.append(.output(UInt16(port - 1)))
                }
            case .pushVLAN(let etherType):
                guard etherType == EtherType.vlan || etherType == 0x88A8 else { throw actionError(5) }  // BAD_ARGUMENT
                actions.append(.pushVLAN(etherType))
            case .popVLAN: actions.append(.popVLAN)
            case .decNetworkTTL: actions.append(.decrementTTL)
            case .setField(let field):
                guard field.oxmClass == OXMField.basic, field.mask == nil else { throw actionError(13) }  // BAD_SET_TYPE
                let value = field.integer
                let lengths: [UInt8: Int] = [3: 6, 4: 6, 6: 2, 11: 4, 12: 4, 13: 2, 14: 2, 15: 2, 16: 2]
                guard let length = lengths[field.field] else { throw actionError(13) }
                guard field.value.count == length else { throw actionError(14) }  // BAD_SET_LEN
                switch field.field {
                case 3: actions.append(.setEthDst(value))
                case 4: actions.append(.setEthSrc(value))
                case 6:
                    guard value & 0x1000 != 0 || value < 0x1000 else { throw actionError(15) }
                    actions.append(.setVLANVID(UInt16(value & 0x0FFF)))
                case 11: actions.append(.setIPv4Source(IPv4Address(rawValue: UInt32(value))))
                case 12: actions.append(.setIPv4Destination(IPv4Address(rawValue: UInt32(value))))
                case 13, 15: actions.append(.setTransportSource(UInt16(value)))
                default: actions.append(.setTransportDestination(UInt16(value)))
                }
            case .experimenter(let id, let data) where id == pathExperimenter:
                actions.append(.chain(String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)))
            case .experimenter: throw actionError(2)  // BAD_EXPERIMENTER
            default: throw actionError(0)  // BAD_TYPE: not supported by this switch
            }
        }
        return actions
    }

    /// A PACKET_OUT's actions: nil for OFPP_TABLE (the packet takes the flow tables; TABLE must
    /// then be its only action), IN_PORT as an output to `inPort`, ALL as FLOOD (the ports of
    /// an OpenFlow switch carry every VLAN), the rest as in a flow.
    public static func packetOutActions(
        _ list: [OpenFlowAction], inPort: UInt16?, ports: Set<UInt16>, groups: [UInt32: GroupEntry] = [:]
    ) throws(OpenFlowError) -> [FlowAction]? {
        var rest: [OpenFlowAction] = []
        var table = false
        for action in list {
            switch action {
            case .output(OpenFlowAction.table, _): table = true
            case .output(OpenFlowAction.inPort, _):
                guard let inPort else { throw actionError(4) }
                rest.append(.output(port: UInt32(inPort) + 1, maxLength: 0))
            case .output(OpenFlowAction.all, let length): rest.append(.output(port: OpenFlowAction.flood, maxLength: length))
            default: rest.append(action)
            }
        }
        if table {
            guard rest.isEmpty else { throw actionError(11) }  // UNSUPPORTED_ORDER: TABLE goes alone
            return nil
        }
        return try flowActions(rest, ports: ports, groups: groups)
    }

    /// The instructions that show `actions` to a controller: one apply_actions (when there are
    /// actions before any goto) and a goto_table. Port rewrites are shown as UDP fields when
    /// the flow matches UDP (`ipProtocol` 17), TCP fields otherwise.
    public static func instructions(_ actions: [FlowAction], ipProtocol: UInt8 = 0) -> [OpenFlowInstruction] {
        let portFields: (UInt8, UInt8) = ipProtocol == 17 ? (15, 16) : (13, 14)
        var list: [OpenFlowAction] = []
        var written: [OpenFlowAction] = []
        var goto: UInt8?
        var meter: UInt32?
        var clears = false
        var metadataWrite: (UInt64, UInt64)?
        for action in actions {
            switch action {
            case .write(let inner): written += actionList([inner], ipProtocol: ipProtocol)
            case .clearActions: clears = true
            case .writeMetadata(let value, let mask): metadataWrite = (value, mask)
            case .output(let port): list.append(.output(port: UInt32(port) + 1, maxLength: 0))
            case .normal: list.append(.output(port: OpenFlowAction.normal, maxLength: 0))
            case .flood: list.append(.output(port: OpenFlowAction.flood, maxLength: 0))
            case .inPort: list.append(.output(port: OpenFlowAction.inPort, maxLength: 0))
            case .controller: list.append(.output(port: OpenFlowAction.controller, maxLength: 0xFFFF))
            case .setEthSrc(let mac): list.append(.setField(OXMField(field: 4, value: OpenFlowMatchTranslator.bytes(mac, 6))))
            case .setEthDst(let mac): list.append(.setField(OXMField(field: 3, value: OpenFlowMatchTranslator.bytes(mac, 6))))
            case .setVLANVID(let vid):
                list.append(.setField(OXMField(field: 6, value: OpenFlowMatchTranslator.bytes(UInt64(vid | 0x1000), 2))))
            case .pushVLAN(let tpid): list.append(.pushVLAN(etherType: tpid))
            case .popVLAN: list.append(.popVLAN)
            case .decrementTTL: list.append(.decNetworkTTL)
            case .setIPv4Source(let address):
                list.append(.setField(OXMField(field: 11, value: OpenFlowMatchTranslator.bytes(UInt64(address.rawValue), 4))))
            case .setIPv4Destination(let address):
                list.append(.setField(OXMField(field: 12, value: OpenFlowMatchTranslator.bytes(UInt64(address.rawValue), 4))))
            case .setTransportSource(let port):
                list.append(.setField(OXMField(field: portFields.0, value: OpenFlowMatchTranslator.bytes(UInt64(port), 2))))
            case .setTransportDestination(let port):
                list.append(.setField(OXMField(field: portFields.1, value: OpenFlowMatchTranslator.bytes(UInt64(port), 2))))
            case .gotoTable(let table): goto = table
            case .chain(let name): list.append(.experimenter(id: pathExperimenter, data: Array(name.utf8) + padding(name.utf8.count)))
            case .group(let id): list.append(.group(id))
            case .meter(let id): meter = id
            }
        }
        var instructions: [OpenFlowInstruction] = meter.map { [.meter($0)] } ?? []
        if !list.isEmpty { instructions.append(.applyActions(list)) }
        if clears { instructions.append(.clearActions) }
        if !written.isEmpty { instructions.append(.writeActions(written)) }
        if let (value, mask) = metadataWrite { instructions.append(.writeMetadata(value: value, mask: mask)) }
        if let goto { instructions.append(.gotoTable(goto)) }
        return instructions
    }

    /// NULs that pad an experimenter action's data (after its 8-byte header) to 8 bytes.
    static func padding(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: (8 - count % 8) % 8) }
}

extension OpenFlowActionTranslator {
    /// The OpenFlow actions that show a bucket's `actions` (its apply_actions part).
    public static func actionList(_ actions: [FlowAction], ipProtocol: UInt8 = 0) -> [OpenFlowAction] {
        instructions(actions, ipProtocol: ipProtocol).flatMap { instruction -> [OpenFlowAction] in
            if case .applyActions(let list) = instruction { return list }
            return []
        }
    }
}
