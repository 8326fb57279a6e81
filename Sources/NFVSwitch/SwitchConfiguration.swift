/// A switch stage's configuration (`kind: SwitchConfig`): which chain ports it switches, each
/// an access port of one VLAN or a trunk, its MAC table, and its flows in Open vSwitch syntax
/// (ports named by their chain port names).
public struct SwitchConfiguration: Sendable, Equatable {
    public struct PortSetting: Sendable, Equatable {
        public var port: String
        public var mode: SwitchStage.PortMode
        public init(port: String, mode: SwitchStage.PortMode) {
            self.port = port
            self.mode = mode
        }
    }

    public var name: String
    public var ports: [PortSetting]
    public var macCapacity: Int
    /// Seconds a learnt MAC address stays without traffic.
    public var ageing: UInt64
    /// Flows as `add-flow` text.
    public var flows: [String]
    /// The OpenFlow channel, when controllers and tools manage the switch's tables.
    public var openflow: OpenFlowSettings?

    public init(
        name: String, ports: [PortSetting], macCapacity: Int = 4096, ageing: UInt64 = 300, flows: [String],
        openflow: OpenFlowSettings? = nil
    ) {
        self.name = name
        self.ports = ports
        self.macCapacity = macCapacity
        self.ageing = ageing
        self.flows = flows
        self.openflow = openflow
    }

    /// The stage for this configuration, with chain port numbers from `portIndex`.
    public func makeStage(name stageName: String, portIndex: [String: UInt16]) throws(FlowSyntax.SyntaxError) -> SwitchStage {
        var parsed: [FlowEntry] = []
        for text in flows { parsed.append(try FlowSyntax.parse(text, ports: portIndex)) }
        let switchPorts = ports.compactMap { setting in
            portIndex[setting.port].map { SwitchStage.Port(name: setting.port, number: $0, mode: setting.mode) }
        }
        return SwitchStage(name: stageName, ports: switchPorts, flows: parsed, macCapacity: macCapacity, ageing: ageing)
    }
}
