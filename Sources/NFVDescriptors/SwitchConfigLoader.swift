import Foundation
import NFVSwitch
import Yams

/// Reads and validates `kind: SwitchConfig` documents:
///
/// ```yaml
/// apiVersion: nfv/v1
/// kind: SwitchConfig
/// metadata: { name: lab-switch }
/// spec:
///   ports:
///     - { port: a, vlan: 10 }                    # access port of VLAN 10 (untagged)
///     - { port: uplink, trunk: [10, 20], native: 1 }  # 802.1Q trunk; untagged frames are VLAN 1
///   macTable: { capacity: 4096, ageing: 300 }   # entries (a power of two), seconds
///   flows:                                      # Open vSwitch add-flow syntax, port names allowed
///     - "priority=100,tcp,tp_dst=23,actions=drop"
///     - "priority=0,actions=normal"
/// ```
///
/// Without `flows`, the switch is a learning L2 switch (`priority=0,actions=normal`). Every flow
/// is parsed here; a mistake is reported at the flow's own line and column with the parser's
/// reason (prerequisites, unknown fields and ports, did-you-mean).
public struct SwitchConfigLoader: Sendable {
    public init() {}

    public typealias Loaded = LoadedConfiguration<SwitchConfiguration>

    public func load(path: String) throws(DescriptorErrorList) -> Loaded {
        try parse(try VNFDocument.text(at: path), file: path)
    }

    public func parse(_ text: String, file: String) throws(DescriptorErrorList) -> Loaded {
        let (decoder, name, spec) = try VNFDocument.spec(
            text, file: file, kind: "SwitchConfig", allowed: ["ports", "macTable", "flows", "openflow"],
            required: ["ports"])
        var ports: [SwitchConfiguration.PortSetting] = []
        /// Ports with neither vlan: nor trunk: (VLAN 1, or raw under OpenFlow).
        var unconfigured: [Int] = []
        var references: [PortReference] = []
        if let node = spec["ports"], let elements = decoder.sequence(node, field: "spec.ports") {
            for (index, element) in elements.enumerated() {
                let field = "spec.ports[\(index)]"
                guard let fields = decoder.mapping(element, field: field, allowed: ["port", "vlan", "trunk", "native"], required: ["port"]),
                    let portNode = fields["port"], let port = decoder.string(portNode, field: "\(field).port")
                else { continue }
                references.append(PortReference(name: port, location: decoder.location(of: portNode), field: "\(field).port"))
                if ports.contains(where: { $0.port == port }) {
                    decoder.report(portNode, field: "\(field).port", "port \"\(port)\" is listed twice", fix: "list each switch port once")
                }
                if let vlanNode = fields["vlan"] {
                    if fields["trunk"] != nil || fields["native"] != nil {
                        decoder.report(
                            element, field: field, "a port is an access port (vlan:) or a trunk (trunk:, native:), not both",
                            fix: "keep vlan: for an access port, or trunk: for a trunk")
                    }
                    if let vlan = decoder.integer(vlanNode, field: "\(field).vlan", range: 1...4094) {
                        ports.append(.init(port: port, mode: .access(vlan: UInt16(vlan))))
                    }
                } else if let trunkNode = fields["trunk"] {
                    var vlans: [UInt16] = []
                    if let items = decoder.sequence(trunkNode, field: "\(field).trunk") {
                        for (position, item) in items.enumerated() {
                            if let vlan = decoder.integer(item, field: "\(field).trunk[\(position)]", range: 1...4094) { vlans.append(UInt16(vlan)) }
                        }
                    }
                    let native = fields["native"].flatMap { decoder.integer($0, field: "\(field).native", range: 1...4094) }.map { UInt16($0) }
                    ports.append(.init(port: port, mode: .trunk(vlans: vlans, native: native)))
                } else {
                    ports.append(.init(port: port, mode: .access(vlan: 1)))
                    unconfigured.append(ports.count - 1)
                }
            }
        }
        var capacity = 4096
        var ageing: UInt64 = 300
        if let node = spec["macTable"], let fields = decoder.mapping(node, field: "spec.macTable", allowed: ["capacity", "ageing"]) {
            if let capacityNode = fields["capacity"],
                let value = decoder.integer(capacityNode, field: "spec.macTable.capacity", range: 16...1_048_576)
            {
                if value & (value - 1) != 0 {
                    decoder.report(
                        capacityNode, field: "spec.macTable.capacity", "\(value) is not a power of two",
                        fix: "use \(1 << (Int.bitWidth - value.leadingZeroBitCount))")
                } else {
                    capacity = value
                }
            }
            if let ageingNode = fields["ageing"], let value = decoder.integer(ageingNode, field: "spec.macTable.ageing", range: 10...1_000_000) {
                ageing = UInt64(value)
            }
        }
        var flows: [String] = []
        // Port names for checking: the switch's own ports, numbered in order.
        let names = Dictionary(ports.enumerated().map { ($1.port, UInt16($0)) }, uniquingKeysWith: { first, _ in first })
        if let node = spec["flows"], let elements = decoder.sequence(node, field: "spec.flows") {
            for (index, element) in elements.enumerated() {
                guard let text = decoder.string(element, field: "spec.flows[\(index)]") else { continue }
                do {
                    _ = try FlowSyntax.parse(text, ports: names)
                    flows.append(text)
                } catch {
                    decoder.report(element, field: "spec.flows[\(index)]", error.description)
                }
            }
        }
        let openflow = spec["openflow"].flatMap { openFlowSettings($0, decoder: decoder) }
        // Under OpenFlow the controller's flows decide about VLANs: such ports pass frames as they are.
        if openflow != nil { for index in unconfigured { ports[index].mode = .raw } }
        if spec["flows"] == nil, let openflow {
            // Standalone starts failed open: NORMAL under the fail-open cookie, which the channel
            // takes away when a controller connects.
            if openflow.failMode == .standalone {
                flows = ["cookie=0x\(String(OpenFlowSettings.failOpenCookie, radix: 16)),priority=0,actions=normal"]
            }
        } else if spec["flows"] == nil {
            flows = ["priority=0,actions=normal"]
        }
        guard decoder.errors.isEmpty else { throw DescriptorErrorList(decoder.errors) }
        return Loaded(
            configuration: SwitchConfiguration(
                name: name, ports: ports, macCapacity: capacity, ageing: ageing, flows: flows, openflow: openflow),
            portReferences: references)
    }

    /// `openflow: { datapathID, listen, controllers, failMode, flowCapacity, tables }`.
    func openFlowSettings(_ node: Node, decoder: DescriptorDecoder) -> OpenFlowSettings? {
        let field = "spec.openflow"
        guard
            let fields = decoder.mapping(
                node, field: field, allowed: ["datapathID", "listen", "controllers", "failMode", "flowCapacity", "tables"],
                required: ["datapathID"])
        else { return nil }
        var datapathID: UInt64?
        if let idNode = fields["datapathID"], let text = decoder.string(idNode, field: "\(field).datapathID") {
            let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
            datapathID = UInt64(digits, radix: text.hasPrefix("0x") ? 16 : 10)
            if datapathID == nil {
                decoder.report(
                    idNode, field: "\(field).datapathID", "\"\(text)\" is not a 64-bit datapath id",
                    fix: "write a number or hex with 0x, such as 0x0000000000000001")
            }
        }
        func endpoints(_ key: String, allowUnix: Bool) -> [OpenFlowSettings.Endpoint] {
            guard let listNode = fields[key], let items = decoder.sequence(listNode, field: "\(field).\(key)") else { return [] }
            return items.enumerated().compactMap { index, item in
                guard let text = decoder.string(item, field: "\(field).\(key)[\(index)]") else { return nil }
                guard let endpoint = OpenFlowSettings.Endpoint(text), allowUnix || !text.hasPrefix("unix:") else {
                    decoder.report(
                        item, field: "\(field).\(key)[\(index)]", "\"\(text)\" is not an OpenFlow endpoint",
                        fix: allowUnix ? "write tcp:IP:PORT (such as tcp:127.0.0.1:6653) or unix:/absolute/path" : "write tcp:IP:PORT")
                    return nil
                }
                return endpoint
            }
        }
        let listen = endpoints("listen", allowUnix: true)
        let controllers = endpoints("controllers", allowUnix: false)
        var failMode = OpenFlowSettings.FailMode.secure
        if let modeNode = fields["failMode"], let text = decoder.string(modeNode, field: "\(field).failMode") {
            if let mode = OpenFlowSettings.FailMode(rawValue: text) {
                failMode = mode
            } else {
                decoder.report(modeNode, field: "\(field).failMode", "unknown fail mode \"\(text)\"", fix: "write secure or standalone")
            }
        }
        if listen.isEmpty && controllers.isEmpty && decoder.errors.isEmpty {
            decoder.report(
                node, field: field, "an OpenFlow channel needs somewhere to listen or a controller to connect to",
                fix: "add listen: [tcp:127.0.0.1:6653] or controllers: [tcp:IP:6653]")
        }
        let capacity = fields["flowCapacity"].flatMap { decoder.integer($0, field: "\(field).flowCapacity", range: 1...1_000_000) } ?? 8192
        let tables = fields["tables"].flatMap { decoder.integer($0, field: "\(field).tables", range: 1...254) } ?? 8
        guard let datapathID else { return nil }
        return OpenFlowSettings(
            datapathID: datapathID, listen: listen, controllers: controllers, failMode: failMode, flowCapacity: capacity, tableCount: tables)
    }
}
