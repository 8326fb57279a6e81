import NFVPacket

/// Flows as text, the way Open vSwitch users write and read them (`ovs-ofctl add-flow` and
/// `dump-flows`; a `dump-flows` line, statistics included, parses back to the same flow): `table=0,priority=100,cookie=0x1,idle_timeout=10,tcp,in_port=1,
/// nw_dst=10.0.0.0/24,tp_dst=80,actions=output:2`.
///
/// Match fields: `in_port`, `dl_src`/`eth_src` and `dl_dst`/`eth_dst` (with `/mask`),
/// `dl_type`/`eth_type`, `dl_vlan` (0xffff: no tag), `dl_vlan_pcp`, `nw_proto`/`ip_proto`,
/// `nw_src`/`nw_dst`/`ip_src`/`ip_dst` (IPv4 with `/len` or `/netmask`), `ipv6_src`/`ipv6_dst`,
/// `tp_src`/`tp_dst` (and `tcp_`/`udp_` aliases, with `/mask`), `icmp_type`/`icmp_code`
/// (`icmpv6_type`/`icmpv6_code`), and the shorthands `ip`, `ipv6`, `arp`, `icmp`, `icmp6`,
/// `tcp`, `tcp6`, `udp`, `udp6`, `sctp`, `sctp6`. As in Open vSwitch, a field needs its
/// prerequisites (`tp_dst` needs `tcp`, `udp` or `sctp`; `nw_src` needs `ip`), and the
/// error says which.
///
/// Actions: `output:N` (or a bare port number or name), `normal`, `flood`, `drop`,
/// `controller`, `mod_dl_src:MAC`, `mod_dl_dst:MAC`, `mod_vlan_vid:VID`, `push_vlan:0x8100`,
/// `strip_vlan`/`pop_vlan`, `mod_nw_src:IP`, `mod_nw_dst:IP`, `mod_tp_src:N`, `mod_tp_dst:N`,
/// `set_field:VALUE->FIELD` for those fields, `goto_table:N` (`resubmit(,N)`),
/// `dec_ttl`, `write_actions(...)` and `clear_actions` (the action set), `group:N` (a group of
/// the switch's group table), `meter:N` (Open vSwitch's form of the meter
/// instruction), and this platform's `chain:PATH` (through a service path's stages).
public enum FlowSyntax {
    public struct SyntaxError: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Port names for `in_port=NAME` and `output:NAME` (number by name).
    public typealias PortNames = [String: UInt16]

    // MARK: parsing

    /// Parses one flow (`add-flow` syntax).
    public static func parse(_ text: String, ports: PortNames = [:]) throws(SyntaxError) -> FlowEntry {
        var flow = FlowEntry()
        let (matchText, actionsText) = try splitActions(text)
        var present: Set<String> = []
        var ethType: UInt16?
        var ipProtocol: UInt8?
        var deferred: [(String, String)] = []
        for item in splitTopLevel(matchText) where !item.isEmpty {
            let (name, value) = keyValue(item)
            switch name {
            case "duration", "n_packets", "n_bytes", "idle_age", "hard_age":
                continue  // statistics of dump-flows output: ignored, so its lines parse back
            case "table": flow.table = try number(value, name, max: 254)
            case "priority": flow.priority = try number(value, name, max: 65535)
            case "cookie": flow.cookie = try number(value, name, max: .max)
            case "idle_timeout": flow.idleTimeout = try number(value, name, max: 65535)
            case "hard_timeout": flow.hardTimeout = try number(value, name, max: 65535)
            case "ip", "ipv4": ethType = EtherType.ipv4
            case "ipv6": ethType = EtherType.ipv6
            case "arp": ethType = EtherType.arp
            case "icmp": (ethType, ipProtocol) = (EtherType.ipv4, IPProtocol.icmp)
            case "icmp6": (ethType, ipProtocol) = (EtherType.ipv6, IPProtocol.icmpv6)
            case "tcp": (ethType, ipProtocol) = (EtherType.ipv4, IPProtocol.tcp)
            case "tcp6": (ethType, ipProtocol) = (EtherType.ipv6, IPProtocol.tcp)
            case "udp": (ethType, ipProtocol) = (EtherType.ipv4, IPProtocol.udp)
            case "udp6": (ethType, ipProtocol) = (EtherType.ipv6, IPProtocol.udp)
            case "sctp": (ethType, ipProtocol) = (EtherType.ipv4, IPProtocol.sctp)
            case "sctp6": (ethType, ipProtocol) = (EtherType.ipv6, IPProtocol.sctp)
            case "dl_type", "eth_type": ethType = try number(value, name, max: 0xFFFF)
            case "nw_proto", "ip_proto": ipProtocol = try number(value, name, max: 255)
            case "in_port":
                flow.match.setInPort(try port(value, ports: ports, field: name))
            case "dl_src", "eth_src", "dl_dst", "eth_dst":
                let (mac, bits) = try macWithMask(value, name)
                if name.hasSuffix("src") { flow.match.setEthSrc(mac, mask: bits) } else { flow.match.setEthDst(mac, mask: bits) }
            case "dl_vlan":
                let vid: UInt16 = try number(value, name, max: 0xFFFF)
                guard vid == 0xFFFF || vid < 4096 else { throw SyntaxError("dl_vlan=\(value): a VLAN ID is 0 to 4095, or 0xffff for no tag") }
                flow.match.setVLAN(vid == 0xFFFF ? nil : vid)
            case "dl_vlan_pcp":
                flow.match.setVLANPCP(try number(value, name, max: 7))
            case "metadata":
                let (bits, mask) = try valueWithMask(value, name)
                flow.match.setMetadata(bits, mask: mask)
            default:
                deferred.append((name, value))
            }
            guard present.insert(name).inserted || ["ip", "tcp", "udp"].contains(name) == false else {
                throw SyntaxError("\(name) is given twice")
            }
        }
        if let ethType { flow.match.setEthType(ethType) }
        if let ipProtocol {
            guard let type = ethType, type == EtherType.ipv4 || type == EtherType.ipv6 else {
                throw SyntaxError("nw_proto needs an IP flow: add ip or ipv6 (dl_type=0x0800 or 0x86dd)")
            }
            flow.match.setIPProtocol(ipProtocol)
        }
        for (name, value) in deferred {
            switch name {
            case "nw_src", "nw_dst", "ip_src", "ip_dst":
                guard ethType == EtherType.ipv4 else { throw SyntaxError("\(name) needs ip (dl_type=0x0800)") }
                let prefix = try ipv4Prefix(value, name)
                if name.hasSuffix("src") { flow.match.setIPSource(prefix) } else { flow.match.setIPDestination(prefix) }
            case "ipv6_src", "ipv6_dst":
                guard ethType == EtherType.ipv6 else { throw SyntaxError("\(name) needs ipv6 (dl_type=0x86dd)") }
                let pieces = value.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard let address = IPv6Address(pieces[0]), IPv4Address(pieces[0]) == nil,
                    let length = pieces.count > 1 ? Int(pieces[1]) : 128, (0...128).contains(length)
                else {
                    throw SyntaxError("\(name)=\(value): expected an IPv6 address or prefix")
                }
                let prefix = IPPrefix(network: address, length: length, isIPv4: false)
                if name.hasSuffix("src") { flow.match.setIPSource(prefix) } else { flow.match.setIPDestination(prefix) }
            case "tp_src", "tp_dst", "tcp_src", "tcp_dst", "udp_src", "udp_dst", "sctp_src", "sctp_dst":
                guard let proto = ipProtocol, [IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp].contains(proto) else {
                    throw SyntaxError("\(name) needs tcp, udp or sctp (nw_proto=6, 17 or 132)")
                }
                let (port, bits) = try portWithMask(value, name)
                if name.hasSuffix("src") {
                    flow.match.setTransportSource(port, mask: bits)
                } else {
                    flow.match.setTransportDestination(port, mask: bits)
                }
            case "icmp_type", "icmp_code", "icmpv6_type", "icmpv6_code":
                let wanted = name.hasPrefix("icmpv6") ? IPProtocol.icmpv6 : IPProtocol.icmp
                guard ipProtocol == wanted else { throw SyntaxError("\(name) needs \(wanted == IPProtocol.icmp ? "icmp" : "icmp6")") }
                let value: UInt16 = try number(value, name, max: 255)
                if name.hasSuffix("type") { flow.match.setTransportSource(value) } else { flow.match.setTransportDestination(value) }
            default:
                let known = [
                    "in_port", "dl_src", "dl_dst", "dl_type", "dl_vlan", "dl_vlan_pcp", "nw_src", "nw_dst", "nw_proto",
                    "ipv6_src", "ipv6_dst", "tp_src", "tp_dst", "icmp_type", "icmp_code", "priority", "table", "cookie",
                    "idle_timeout", "hard_timeout", "metadata",
                ]
                let close = known.min { distance($0, name) < distance($1, name) }.flatMap { distance($0, name) <= 2 ? $0 : nil }
                throw SyntaxError("unknown field \(name)" + (close.map { "; did you mean \($0)?" } ?? ""))
            }
        }
        flow.actions = try parseActions(actionsText, ports: ports)
        return flow
    }

    static func splitActions(_ text: String) throws(SyntaxError) -> (String, String) {
        guard let range = text.firstRange(of: "actions=") else { throw SyntaxError("a flow needs actions=... (actions=drop to drop)") }
        var match = String(text[..<range.lowerBound]).trimmingSpaces()
        if match.hasSuffix(",") { match.removeLast() }
        return (match, String(text[range.upperBound...]).trimmingSpaces())
    }

    static func parseActions(_ text: String, ports: PortNames) throws(SyntaxError) -> [FlowAction] {
        var actions: [FlowAction] = []
        for item in splitTopLevel(text) where !item.isEmpty {
            let lower = item.lowercased()
            if lower == "drop" { continue }
            if lower == "normal" {
                actions.append(.normal)
                continue
            }
            if lower == "in_port" || lower == "output:in_port" {
                actions.append(.inPort)
                continue
            }
            if lower == "flood" || lower == "all" {
                actions.append(.flood)
                continue
            }
            if lower.hasPrefix("controller") {
                actions.append(.controller)
                continue
            }
            if lower == "clear_actions" {
                actions.append(.clearActions)
                continue
            }
            if lower.hasPrefix("write_actions("), lower.hasSuffix(")") {
                let inside = String(item.dropFirst("write_actions(".count).dropLast())
                actions += try parseActions(inside, ports: ports).map { .write($0) }
                continue
            }
            if lower == "dec_ttl" {
                actions.append(.decrementTTL)
                continue
            }
            if lower == "strip_vlan" || lower == "pop_vlan" {
                actions.append(.popVLAN)
                continue
            }
            if lower.hasPrefix("resubmit(") {
                let inside = item.dropFirst("resubmit(".count).dropLast()
                let table = inside.split(separator: ",", omittingEmptySubsequences: false).last.map(String.init) ?? ""
                actions.append(.gotoTable(try number(table, "resubmit", max: 254)))
                continue
            }
            if lower.hasPrefix("set_field:") {
                let body = String(item.dropFirst("set_field:".count))
                guard let arrow = body.firstRange(of: "->") else { throw SyntaxError("set_field:\(body): expected VALUE->FIELD") }
                let value = String(body[..<arrow.lowerBound])
                let field = String(body[arrow.upperBound...])
                let mapped = [
                    "eth_src": "mod_dl_src", "eth_dst": "mod_dl_dst", "vlan_vid": "mod_vlan_vid", "ip_src": "mod_nw_src",
                    "ip_dst": "mod_nw_dst", "nw_src": "mod_nw_src", "nw_dst": "mod_nw_dst", "tcp_src": "mod_tp_src",
                    "tcp_dst": "mod_tp_dst", "udp_src": "mod_tp_src", "udp_dst": "mod_tp_dst", "tp_src": "mod_tp_src",
                    "tp_dst": "mod_tp_dst",
                ][field]
                guard let mapped else { throw SyntaxError("set_field: cannot set \(field)") }
                // OpenFlow 1.2+ vlan_vid values carry the present bit (0x1000).
                let adjusted = field == "vlan_vid" ? String((UInt16(value) ?? UInt16(value.dropFirst(2), radix: 16) ?? 0) & 0x0FFF) : value
                actions += try parseActions("\(mapped):\(adjusted)", ports: ports)
                continue
            }
            let (name, value) = item.contains(":") ? keyValue(item, separator: ":") : (item, "")
            switch name {
            case "write_metadata":
                let (bits, mask) = try valueWithMask(value, name)
                actions.append(.writeMetadata(value: bits, mask: mask))
            case "output": actions.append(.output(try port(value, ports: ports, field: "output")))
            case "mod_dl_src": actions.append(.setEthSrc(try mac(value, name)))
            case "mod_dl_dst": actions.append(.setEthDst(try mac(value, name)))
            case "mod_vlan_vid":
                let vid: UInt16 = try number(value, name, max: 4095)
                actions.append(.setVLANVID(vid))
            case "push_vlan": actions.append(.pushVLAN(try number(value, name, max: 0xFFFF)))
            case "mod_nw_src", "mod_nw_dst":
                guard let address = IPv4Address(value) else { throw SyntaxError("\(name):\(value): expected an IPv4 address") }
                actions.append(name == "mod_nw_src" ? .setIPv4Source(address) : .setIPv4Destination(address))
            case "mod_tp_src": actions.append(.setTransportSource(try number(value, name, max: 65535)))
            case "mod_tp_dst": actions.append(.setTransportDestination(try number(value, name, max: 65535)))
            case "goto_table": actions.append(.gotoTable(try number(value, name, max: 254)))
            case "group": actions.append(.group(try number(value, name, max: 0xFFFF_FF00)))
            case "meter": actions.append(.meter(try number(value, name, max: 0xFFFF_FFFE)))
            case "chain":
                guard !value.isEmpty else { throw SyntaxError("chain: needs a path name (chain:web)") }
                actions.append(.chain(value))
            default:
                if let port = UInt16(name) ?? ports[name] {
                    actions.append(.output(port))
                    continue
                }
                throw SyntaxError("unknown action \(item)")
            }
        }
        return actions
    }

    // MARK: printing

    /// The flow in `dump-flows` form; `counters` adds duration and packet/byte counts.
    public static func format(
        _ flow: FlowEntry, ports: PortNames = [:],
        counters: (packets: UInt64, bytes: UInt64, seconds: Double)? = nil
    ) -> String {
        var head: [String] = []
        head.append("cookie=0x" + String(flow.cookie, radix: 16))
        if let counters { head.append("duration=\(formatSeconds(counters.seconds))s") }
        head.append("table=\(flow.table)")
        if let counters { head += ["n_packets=\(counters.packets)", "n_bytes=\(counters.bytes)"] }
        if flow.idleTimeout > 0 { head.append("idle_timeout=\(flow.idleTimeout)") }
        if flow.hardTimeout > 0 { head.append("hard_timeout=\(flow.hardTimeout)") }
        let match = formatMatch(flow, ports: ports)
        return " " + head.joined(separator: ", ") + ", " + match + (match.isEmpty ? "" : " ") + "actions=" + formatActions(flow.actions, ports: ports)
    }

    /// The flow in `add-flow` form (what `format` shows, without the counters).
    public static func formatForAdd(_ flow: FlowEntry, ports: PortNames = [:]) -> String {
        var parts = ["table=\(flow.table)"]
        if flow.cookie != 0 { parts.append("cookie=0x" + String(flow.cookie, radix: 16)) }
        if flow.idleTimeout > 0 { parts.append("idle_timeout=\(flow.idleTimeout)") }
        if flow.hardTimeout > 0 { parts.append("hard_timeout=\(flow.hardTimeout)") }
        let match = formatMatch(flow, ports: ports)
        return parts.joined(separator: ",") + "," + match + (match.isEmpty ? "" : ",") + "actions=" + formatActions(flow.actions, ports: ports)
    }

    public static func formatMatch(_ flow: FlowEntry, ports: PortNames = [:]) -> String {
        var parts: [String] = []
        if flow.priority != FlowEntry.defaultPriority { parts.append("priority=\(flow.priority)") }
        let value = flow.match.value
        let mask = flow.match.mask
        let names = Dictionary(ports.map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let ethType: UInt16? = mask.ethType == 0xFFFF ? value.ethType : nil
        let proto: UInt8? = mask.ipProtocol == 0xFF ? value.ipProtocol : nil
        let shorthand: String? =
            switch (ethType, proto) {
            case (EtherType.ipv4?, IPProtocol.tcp?): "tcp"
            case (EtherType.ipv4?, IPProtocol.udp?): "udp"
            case (EtherType.ipv4?, IPProtocol.sctp?): "sctp"
            case (EtherType.ipv4?, IPProtocol.icmp?): "icmp"
            case (EtherType.ipv6?, IPProtocol.tcp?): "tcp6"
            case (EtherType.ipv6?, IPProtocol.udp?): "udp6"
            case (EtherType.ipv6?, IPProtocol.sctp?): "sctp6"
            case (EtherType.ipv6?, IPProtocol.icmpv6?): "icmp6"
            case (EtherType.ipv4?, nil): "ip"
            case (EtherType.ipv6?, nil): "ipv6"
            case (EtherType.arp?, nil): "arp"
            default: nil
            }
        if let shorthand { parts.append(shorthand) }
        if mask.metadata != 0 { parts.append("metadata=" + metadataText(value.metadata, mask.metadata)) }
        if mask.inPort != 0 { parts.append("in_port=" + (names[value.inPort] ?? "\(value.inPort)")) }
        if mask.vlanTCI & 0x1FFF != 0 {
            parts.append(value.vlanTCI & SwitchKey.vlanPresent == 0 ? "dl_vlan=0xffff" : "dl_vlan=\(value.vlanTCI & 0x0FFF)")
        }
        if mask.vlanTCI & 0xE000 != 0 { parts.append("dl_vlan_pcp=\(value.vlanTCI >> 13)") }
        if mask.ethSrc != 0 { parts.append("dl_src=" + macText(value.ethSrc, mask.ethSrc)) }
        if mask.ethDst != 0 { parts.append("dl_dst=" + macText(value.ethDst, mask.ethDst)) }
        if shorthand == nil, let ethType { parts.append("dl_type=0x" + hex4(ethType)) }
        if shorthand == nil || ["ip", "ipv6"].contains(shorthand!), let proto { parts.append("nw_proto=\(proto)") }
        let isIPv6 = ethType == EtherType.ipv6
        if mask.ipSource != IPv6Address(high: 0, low: 0) {
            parts.append((isIPv6 ? "ipv6_src=" : "nw_src=") + prefixText(value.ipSource, mask.ipSource, isIPv6: isIPv6))
        }
        if mask.ipDestination != IPv6Address(high: 0, low: 0) {
            parts.append((isIPv6 ? "ipv6_dst=" : "nw_dst=") + prefixText(value.ipDestination, mask.ipDestination, isIPv6: isIPv6))
        }
        let isICMP = proto == IPProtocol.icmp || proto == IPProtocol.icmpv6
        let icmpPrefix = proto == IPProtocol.icmpv6 ? "icmpv6_" : "icmp_"
        if mask.transportSource != 0 {
            parts.append(isICMP ? "\(icmpPrefix)type=\(value.transportSource)" : "tp_src=" + portText(value.transportSource, mask.transportSource))
        }
        if mask.transportDestination != 0 {
            parts.append(
                isICMP
                    ? "\(icmpPrefix)code=\(value.transportDestination)"
                    : "tp_dst=" + portText(value.transportDestination, mask.transportDestination))
        }
        return parts.joined(separator: ",")
    }

    static func formatActions(_ actions: [FlowAction], ports: PortNames) -> String {
        guard !actions.isEmpty else { return "drop" }
        let names = Dictionary(ports.map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        // Actions written to the action set show as Open vSwitch shows them: write_actions(...).
        var parts: [String] = []
        var written: [String] = []
        for action in actions {
            if case .write(let inner) = action {
                written.append(format(inner, names: names))
                continue
            }
            if !written.isEmpty { parts.append("write_actions(" + written.joined(separator: ",") + ")") }
            written = []
            parts.append(format(action, names: names))
        }
        if !written.isEmpty { parts.append("write_actions(" + written.joined(separator: ",") + ")") }
        return parts.joined(separator: ",")
    }

    static func format(_ action: FlowAction, names: [UInt16: String]) -> String {
        switch action {
        case .output(let port): "output:" + (names[port] ?? "\(port)")
        case .normal: "NORMAL"
        case .flood: "FLOOD"
        case .inPort: "IN_PORT"
        case .controller: "CONTROLLER:65535"
        case .setEthSrc(let mac): "mod_dl_src:" + macText(mac, 0xFFFF_FFFF_FFFF)
        case .setEthDst(let mac): "mod_dl_dst:" + macText(mac, 0xFFFF_FFFF_FFFF)
        case .setVLANVID(let vid): "mod_vlan_vid:\(vid)"
        case .pushVLAN(let type): "push_vlan:0x" + hex4(type)
        case .popVLAN: "strip_vlan"
        case .setIPv4Source(let address): "mod_nw_src:\(address)"
        case .setIPv4Destination(let address): "mod_nw_dst:\(address)"
        case .setTransportSource(let port): "mod_tp_src:\(port)"
        case .setTransportDestination(let port): "mod_tp_dst:\(port)"
        case .gotoTable(let table): "goto_table:\(table)"
        case .chain(let name): "chain:\(name)"
        case .group(let id): "group:\(id)"
        case .decrementTTL: "dec_ttl"
        case .meter(let id): "meter:\(id)"
        case .clearActions: "clear_actions"
        case .writeMetadata(let value, let mask): "write_metadata:" + metadataText(value, mask)
        case .write(let inner): "write_actions(" + format(inner, names: names) + ")"
        }
    }

    // MARK: helpers

    static func splitTopLevel(_ text: String) -> [String] {
        var items: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," || character == " ") && depth == 0 {
                if !current.isEmpty { items.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { items.append(current) }
        return items
    }

    static func keyValue(_ item: String, separator: Character = "=") -> (String, String) {
        guard let index = item.firstIndex(of: separator) else { return (item.lowercased(), "") }
        return (String(item[..<index]).lowercased(), String(item[item.index(after: index)...]))
    }

    static func number<T: FixedWidthInteger & UnsignedInteger>(_ text: String, _ field: String, max: T) throws(SyntaxError) -> T {
        let parsed: UInt64? = text.lowercased().hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let parsed, parsed <= UInt64(max) else { throw SyntaxError("\(field)=\(text): expected a number from 0 to \(max)") }
        return T(parsed)
    }

    static func port(_ text: String, ports: PortNames, field: String) throws(SyntaxError) -> UInt16 {
        if let number = UInt16(text) { return number }
        if let number = ports[text] { return number }
        throw SyntaxError("\(field)=\(text): no such port" + (ports.isEmpty ? "" : "; ports: " + ports.keys.sorted().joined(separator: ", ")))
    }

    static func mac(_ text: String, _ field: String) throws(SyntaxError) -> UInt64 {
        guard let address = MACAddress(text) else { throw SyntaxError("\(field)=\(text): expected a MAC address like 02:00:00:00:00:01") }
        return address.rawValue
    }

    static func macWithMask(_ text: String, _ field: String) throws(SyntaxError) -> (UInt64, UInt64) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let value = try mac(parts[0], field)
        return (value, parts.count > 1 ? try mac(parts[1], field) : 0xFFFF_FFFF_FFFF)
    }

    /// A 64-bit value with an optional `/mask` (decimal or 0x hex), as metadata takes it.
    static func valueWithMask(_ text: String, _ field: String) throws(SyntaxError) -> (UInt64, UInt64) {
        let pieces = text.split(separator: "/", maxSplits: 1).map(String.init)
        let value: UInt64 = try number(pieces.first ?? "", field, max: .max)
        let mask: UInt64 = pieces.count > 1 ? try number(pieces[1], field, max: .max) : .max
        return (value & mask, mask)
    }

    static func metadataText(_ value: UInt64, _ mask: UInt64) -> String {
        "0x" + String(value, radix: 16) + (mask == .max ? "" : "/0x" + String(mask, radix: 16))
    }

    static func portWithMask(_ text: String, _ field: String) throws(SyntaxError) -> (UInt16, UInt16) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let value: UInt16 = try number(parts[0], field, max: 65535)
        return (value, parts.count > 1 ? try number(parts[1], field, max: 65535) : 0xFFFF)
    }

    static func ipv4Prefix(_ text: String, _ field: String) throws(SyntaxError) -> IPPrefix {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let address = IPv4Address(parts[0]) else { throw SyntaxError("\(field)=\(text): expected an IPv4 address or prefix") }
        var length = 32
        if parts.count > 1 {
            if let bits = Int(parts[1]), (0...32).contains(bits) {
                length = bits
            } else if let netmask = IPv4Address(parts[1]), (~netmask.rawValue &+ 1) & ~netmask.rawValue == 0 {
                length = netmask.rawValue.nonzeroBitCount
            } else {
                throw SyntaxError("\(field)=\(text): expected /LENGTH (0-32) or a contiguous /NETMASK")
            }
        }
        // Like ovs-ofctl, host bits beyond the prefix are cleared, not refused.
        return IPPrefix(network: IPv6Address(ipv4Mapped: address), length: 96 + length, isIPv4: true)
    }

    static func macText(_ value: UInt64, _ mask: UInt64) -> String {
        func text(_ mac: UInt64) -> String {
            (0..<6).map { String(format2: UInt8(truncatingIfNeeded: mac >> (40 - 8 * UInt64($0)))) }.joined(separator: ":")
        }
        return mask == 0xFFFF_FFFF_FFFF ? text(value) : text(value) + "/" + text(mask)
    }

    static func prefixText(_ value: IPv6Address, _ mask: IPv6Address, isIPv6: Bool) -> String {
        let length = mask.high.nonzeroBitCount + mask.low.nonzeroBitCount - (isIPv6 ? 0 : 96)
        if isIPv6 {
            return "\(value)" + (length == 128 ? "" : "/\(length)")
        }
        let address = IPv4Address(rawValue: UInt32(truncatingIfNeeded: value.low))
        return "\(address)" + (length == 32 ? "" : "/\(length)")
    }

    static func portText(_ value: UInt16, _ mask: UInt16) -> String {
        mask == 0xFFFF ? "\(value)" : "0x" + hex4(value) + "/0x" + hex4(mask)
    }

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func formatSeconds(_ seconds: Double) -> String {
        let millis = Int((seconds * 1000).rounded())
        let fraction = millis % 1000
        return "\(millis / 1000)." + String(repeating: "0", count: fraction < 10 ? 2 : fraction < 100 ? 1 : 0) + "\(fraction)"
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = String(byte, radix: 16)
        self = digits.count == 1 ? "0" + digits : digits
    }

    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
