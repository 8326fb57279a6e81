import NFVPacket

/// What a switch would do with a packet, step by step, without sending it (like Open vSwitch's
/// `ofproto/trace`): which flow of which table matches, what its actions change, where the
/// packet goes.
public enum FlowTracer {
    /// The packet described by `description` (flow-match syntax: `in_port=a,tcp,nw_dst=10.0.0.2,
    /// tp_dst=80`; fields left out are zero) through `flows`.
    public static func trace(_ description: String, flows: [FlowEntry], ports: FlowSyntax.PortNames = [:]) throws(FlowSyntax.SyntaxError) -> [String]
    {
        let packet = try FlowSyntax.parse(description + ",actions=drop", ports: ports)
        var key = packet.match.value
        var lines = ["packet: " + FlowSyntax.formatMatch(FlowEntry(priority: FlowEntry.defaultPriority, match: packet.match), ports: ports)]
        let tables = Dictionary(grouping: flows, by: \.table).mapValues(FlowClassifier.init)
        var table: UInt8 = 0
        var hops = 0
        while hops < 16 {
            hops += 1
            guard let classifier = tables[table] else {
                lines.append("table \(table): no flows: table miss, dropped (switch_table_miss)")
                return lines
            }
            let index = classifier.lookup(key)
            guard index >= 0 else {
                lines.append("table \(table): no flow matches: table miss, dropped (switch_table_miss)")
                return lines
            }
            let flow = classifier.flows[index]
            lines.append("table \(table): matched" + FlowSyntax.format(flow, ports: ports))
            var next: UInt8?
            var outputs: [String] = []
            for action in flow.actions {
                switch action {
                case .gotoTable(let target): next = target
                case .setEthSrc(let mac): key.ethSrc = mac
                case .setEthDst(let mac): key.ethDst = mac
                case .setVLANVID(let vid): key.vlanTCI = SwitchKey.vlanPresent | vid
                case .pushVLAN: key.vlanTCI |= SwitchKey.vlanPresent
                case .popVLAN: key.vlanTCI = 0
                case .setIPv4Source(let address): key.ipSource = IPv6Address(ipv4Mapped: address)
                case .setIPv4Destination(let address): key.ipDestination = IPv6Address(ipv4Mapped: address)
                case .setTransportSource(let port): key.transportSource = port
                case .setTransportDestination(let port): key.transportDestination = port
                case .decrementTTL, .clearActions: break
                case .writeMetadata(let value, let bits): key.metadata = key.metadata & ~bits | value & bits
                case .write(let inner):
                    outputs.append("writes \(FlowSyntax.formatActions([inner], ports: ports)) to the action set (runs at the end)")
                case .output(let port): outputs.append("output to " + (ports.first { $0.value == port }?.key ?? "\(port)"))
                case .normal: outputs.append("L2 switching (NORMAL): to the port that learnt the destination MAC, else flooded in its VLAN")
                case .flood: outputs.append("flooded to every port of its VLAN but the one it came in on")
                case .inPort: outputs.append("back out of the port it came in on")
                case .controller: outputs.append("punted to the controller side")
                case .chain(let path): outputs.append("through service path \(path)")
                case .group(let id): outputs.append("through group \(id) (its buckets decide)")
                case .meter(let id): lines.append("  metered by meter \(id) (may drop or remark)")
                }
            }
            if let next, next > table {
                lines.append("  continue in table \(next) with " + FlowSyntax.formatMatch(FlowEntry(match: exact(key)), ports: ports))
                table = next
                continue
            }
            if outputs.isEmpty { lines.append("  dropped by the flow (switch_flow_drop)") }
            for output in outputs { lines.append("  " + output) }
            if key != packet.match.value {
                lines.append("  leaves as " + FlowSyntax.formatMatch(FlowEntry(match: exact(key)), ports: ports))
            }
            return lines
        }
        lines.append("more than 16 goto_table steps: stopped")
        return lines
    }

    /// A match that pins every field of `key` that is set (for printing a packet).
    static func exact(_ key: SwitchKey) -> FlowMatch {
        var match = FlowMatch()
        match.value = key
        var fields = SwitchKey()
        if key.inPort != 0 { fields.inPort = 0xFFFF }
        if key.ethDst != 0 { fields.ethDst = 0xFFFF_FFFF_FFFF }
        if key.ethSrc != 0 { fields.ethSrc = 0xFFFF_FFFF_FFFF }
        if key.ethType != 0 { fields.ethType = 0xFFFF }
        if key.vlanTCI != 0 { fields.vlanTCI = 0xFFFF }
        if key.ipProtocol != 0 { fields.ipProtocol = 0xFF }
        if key.transportSource != 0 { fields.transportSource = 0xFFFF }
        if key.transportDestination != 0 { fields.transportDestination = 0xFFFF }
        let all = IPv6Address(high: .max, low: .max)
        if key.ipSource != IPv6Address(high: 0, low: 0) { fields.ipSource = all }
        if key.ipDestination != IPv6Address(high: 0, low: 0) { fields.ipDestination = all }
        match.mask = fields
        return match
    }
}
