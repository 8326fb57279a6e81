import Foundation
import NFVFirewall
import NFVPacket
import Yams

/// Reads and validates `kind: FirewallConfig` documents:
///
/// ```yaml
/// apiVersion: nfv/v1
/// kind: FirewallConfig
/// metadata: { name: edge-fw }
/// spec:
///   stateful: true                  # default true
///   defaultAction: drop             # required: allow | drop | reject
///   connections: { capacity: 65536 }
///   rejectFrom: [192.0.2.1, "2001:db8::1"]   # source of reject's ICMP errors (optional)
///   rules:
///     - name: allow-web
///       match: { proto: tcp, dstPrefix: 203.0.113.10/32, dstPort: [80, 443] }
///       action: allow
/// ```
///
/// Match fields: `inPort`, `outPort` (chain port names), `etherType` (ipv4, ipv6, arp or a
/// number), `vlan`, `proto` (tcp, udp, icmp, icmpv6, sctp or a number), `srcPrefix`,
/// `dstPrefix` (a prefix or a list), `srcPort`, `dstPort` (a port, `low-high`, or a list),
/// `tcpFlags` (a list of flag names, `!name` for a flag that must be clear), `icmpType`,
/// `icmpCode`.
public struct FirewallConfigLoader: Sendable {
    public init() {}

    /// A loaded configuration and the chain ports it names.
    public typealias Loaded = LoadedConfiguration<FirewallConfiguration>

    /// Loads the configuration in `path`.
    public func load(path: String) throws(DescriptorErrorList) -> Loaded {
        try parse(try VNFDocument.text(at: path), file: path)
    }

    /// Parses a configuration from `text`; `file` names it in errors.
    public func parse(_ text: String, file: String) throws(DescriptorErrorList) -> Loaded {
        let (decoder, name, spec) = try VNFDocument.spec(
            text, file: file, kind: "FirewallConfig",
            allowed: ["stateful", "defaultAction", "connections", "rejectFrom", "rules"],
            required: ["defaultAction"])
        var stateful = true
        if let node = spec["stateful"] {
            if let value = node.bool, case .scalar = node {
                stateful = value
            } else {
                decoder.report(node, field: "spec.stateful", "expected true or false")
            }
        }
        let actions = FirewallAction.allCases.map(\.rawValue)
        let defaultAction = spec["defaultAction"].flatMap {
            decoder.choice($0, field: "spec.defaultAction", choices: actions, what: "action")
        }.flatMap(FirewallAction.init(rawValue:))
        var capacity = 65_536
        if let node = spec["connections"],
            let connections = decoder.mapping(node, field: "spec.connections", allowed: ["capacity"]),
            let capacityNode = connections["capacity"],
            let value = decoder.integer(capacityNode, field: "spec.connections.capacity", range: 16...16_777_216)
        {
            capacity = value
        }
        var rejectFrom: [IPv6Address] = []
        if let node = spec["rejectFrom"], let elements = decoder.sequence(node, field: "spec.rejectFrom") {
            for (index, element) in elements.enumerated() {
                let field = "spec.rejectFrom[\(index)]"
                guard let text = decoder.string(element, field: field) else { continue }
                guard let address = IPv4Address(text).map(IPv6Address.init(ipv4Mapped:)) ?? IPv6Address(text) else {
                    decoder.report(
                        element, field: field, "\"\(text)\" is not an IPv4 or IPv6 address",
                        fix: "write one address of the firewall's side, such as 192.0.2.1 or 2001:db8::1")
                    continue
                }
                if rejectFrom.contains(where: { ($0.ipv4Mapped == nil) == (address.ipv4Mapped == nil) }) {
                    decoder.report(
                        element, field: field, "a second \(address.ipv4Mapped == nil ? "IPv6" : "IPv4") address",
                        fix: "give at most one IPv4 and one IPv6 address")
                    continue
                }
                rejectFrom.append(address)
            }
        }
        var rules: [FirewallRule] = []
        var references: [PortReference] = []
        if let node = spec["rules"], let elements = decoder.sequence(node, field: "spec.rules") {
            var seen: [String: SourceLocation] = [:]
            for (index, element) in elements.enumerated() {
                let field = "spec.rules[\(index)]"
                guard
                    let ruleFields = decoder.mapping(
                        element, field: field, allowed: ["name", "match", "action"],
                        required: ["name", "action"])
                else { continue }
                let ruleName = ruleFields["name"].flatMap { decoder.string($0, field: "\(field).name") }
                let action = ruleFields["action"].flatMap {
                    decoder.choice($0, field: "\(field).action", choices: actions, what: "action")
                }.flatMap(FirewallAction.init(rawValue:))
                var match = FirewallMatch()
                if let matchNode = ruleFields["match"] {
                    match = readMatch(matchNode, field: "\(field).match", decoder: decoder, references: &references)
                }
                guard let ruleName, let action else { continue }
                if let first = seen[ruleName] {
                    decoder.report(
                        ruleFields["name"]!, field: "\(field).name", "rule \"\(ruleName)\" is declared twice",
                        fix: "rule names identify counters; rename one (the first is at \(first))")
                    continue
                }
                seen[ruleName] = decoder.location(of: element)
                rules.append(FirewallRule(name: ruleName, match: match, action: action))
            }
        }
        guard decoder.errors.isEmpty, let defaultAction else { throw DescriptorErrorList(decoder.errors) }
        var configuration = FirewallConfiguration(
            name: name, stateful: stateful, defaultAction: defaultAction, rules: rules,
            connectionCapacity: capacity)
        configuration.rejectFrom = rejectFrom
        return Loaded(configuration: configuration, portReferences: references)
    }

    static let protocolNames: [String: UInt8] = ["tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132]
    static let etherTypeNames: [String: UInt16] = ["ipv4": 0x0800, "ipv6": 0x86DD, "arp": 0x0806]
    static let flagNames: [String: TCPFlags] = [
        "fin": .fin, "syn": .syn, "rst": .rst, "psh": .psh, "ack": .ack,
        "urg": .urg, "ece": .ece, "cwr": .cwr,
    ]

    func readMatch(_ node: Node, field: String, decoder: DescriptorDecoder, references: inout [PortReference]) -> FirewallMatch {
        var match = FirewallMatch()
        let allowed = [
            "inPort", "outPort", "etherType", "vlan", "proto", "srcPrefix", "dstPrefix", "srcPort", "dstPort",
            "tcpFlags", "icmpType", "icmpCode",
        ]
        guard let fields = decoder.mapping(node, field: field, allowed: allowed) else { return match }
        for key in ["inPort", "outPort"] {
            if let value = fields[key], let name = decoder.string(value, field: "\(field).\(key)") {
                references.append(PortReference(name: name, location: decoder.location(of: value), field: "\(field).\(key)"))
                if key == "inPort" { match.inPort = name } else { match.outPort = name }
            }
        }
        if let value = fields["etherType"] {
            match.etherType = namedNumber(
                value, field: "\(field).etherType", names: Self.etherTypeNames, maximum: 0xFFFF,
                decoder: decoder
            ).map(UInt16.init)
        }
        if let value = fields["vlan"], let vlan = decoder.integer(value, field: "\(field).vlan", range: 0...4095) {
            match.vlanID = UInt16(vlan)
        }
        if let value = fields["proto"] {
            match.ipProtocol = namedNumber(
                value, field: "\(field).proto", names: Self.protocolNames.mapValues(UInt16.init),
                maximum: 255, decoder: decoder
            ).map(UInt8.init)
        }
        var families = Set<Bool>()
        for (key, isSource) in [("srcPrefix", true), ("dstPrefix", false)] {
            guard let value = fields[key] else { continue }
            var prefixes: [IPPrefix] = []
            for (element, path) in listOrSingle(value, field: "\(field).\(key)") {
                guard let text = decoder.string(element, field: path) else { continue }
                guard let prefix = IPPrefix(text) else {
                    decoder.report(
                        element, field: path, "\"\(text)\" is not an IPv4 or IPv6 prefix",
                        fix: "write it as 192.0.2.0/24 or 2001:db8::/32, with the host bits zero")
                    continue
                }
                prefixes.append(prefix)
                families.insert(prefix.isIPv4)
            }
            if isSource { match.sourcePrefixes = prefixes } else { match.destinationPrefixes = prefixes }
        }
        if families.count > 1 {
            decoder.report(
                node, field: field, "the rule mixes IPv4 and IPv6 prefixes, so it can never match",
                fix: "split it into one IPv4 rule and one IPv6 rule")
        }
        if let etherType = match.etherType, let family = families.first, families.count == 1,
            etherType != (family ? 0x0800 : 0x86DD)
        {
            decoder.report(
                fields["etherType"]!, field: "\(field).etherType", "does not fit the rule's \(family ? "IPv4" : "IPv6") prefixes",
                fix: "remove etherType or use \(family ? "ipv4" : "ipv6")")
        }
        for (key, isSource) in [("srcPort", true), ("dstPort", false)] {
            guard let value = fields[key] else { continue }
            var ranges: [PortRange] = []
            for (element, path) in listOrSingle(value, field: "\(field).\(key)") {
                guard case .scalar = element, let text = element.string else {
                    decoder.report(element, field: path, "expected a port or a range low-high")
                    continue
                }
                let bounds = text.split(separator: "-", maxSplits: 1).map { UInt16($0.trimmingCharacters(in: .whitespaces)) }
                guard (1...2).contains(bounds.count), let low = bounds.first!, let high = bounds.last!, low <= high else {
                    decoder.report(
                        element, field: path, "\"\(text)\" is not a port (0-65535) or a range low-high",
                        fix: "write 443 or 1024-65535")
                    continue
                }
                ranges.append(PortRange(low, high))
            }
            if isSource { match.sourcePorts = ranges } else { match.destinationPorts = ranges }
            if let proto = match.ipProtocol, ![6, 17, 132].contains(proto) {
                decoder.report(value, field: "\(field).\(key)", "ports need proto tcp, udp or sctp")
            } else if match.ipProtocol == nil {
                decoder.report(value, field: "\(field).\(key)", "ports need a protocol", fix: "add \"proto: tcp\" (or udp, sctp)")
            }
        }
        if let value = fields["tcpFlags"] {
            for (element, path) in listOrSingle(value, field: "\(field).tcpFlags") {
                guard let text = decoder.string(element, field: path) else { continue }
                let clear = text.hasPrefix("!")
                let flagName = String(clear ? text.dropFirst() : Substring(text)).lowercased()
                guard let flag = Self.flagNames[flagName] else {
                    let fix =
                        Suggestion.closest(to: flagName, in: Array(Self.flagNames.keys)).map { "did you mean \"\($0)\"?" }
                        ?? "use " + Suggestion.list(Self.flagNames.keys.sorted())
                    decoder.report(element, field: path, "unknown TCP flag \"\(text)\"", fix: fix)
                    continue
                }
                if clear { match.tcpFlagsClear.insert(flag) } else { match.tcpFlagsSet.insert(flag) }
            }
            if match.ipProtocol != IPProtocol.tcp {
                decoder.report(value, field: "\(field).tcpFlags", "TCP flags need proto tcp", fix: "add \"proto: tcp\"")
            }
        }
        for key in ["icmpType", "icmpCode"] {
            guard let value = fields[key], let number = decoder.integer(value, field: "\(field).\(key)", range: 0...255) else { continue }
            if key == "icmpType" { match.icmpType = UInt8(number) } else { match.icmpCode = UInt8(number) }
            if match.ipProtocol != IPProtocol.icmp && match.ipProtocol != IPProtocol.icmpv6 {
                decoder.report(value, field: "\(field).\(key)", "ICMP type and code need proto icmp or icmpv6")
            }
        }
        return match
    }

    func listOrSingle(_ node: Node, field: String) -> [(Node, String)] {
        if case .sequence(let sequence) = node {
            return sequence.enumerated().map { ($1, "\(field)[\($0)]") }
        }
        return [(node, field)]
    }

    func namedNumber(_ node: Node, field: String, names: [String: UInt16], maximum: Int, decoder: DescriptorDecoder) -> Int? {
        guard case .scalar = node, let text = node.string else {
            decoder.report(node, field: field, "expected a name or a number")
            return nil
        }
        if let value = names[text.lowercased()] { return Int(value) }
        let number = text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
        if let number, (0...maximum).contains(number) { return number }
        let fix =
            Suggestion.closest(to: text, in: Array(names.keys)).map { "did you mean \"\($0)\"?" }
            ?? "use " + Suggestion.list(names.keys.sorted()) + " or a number up to \(maximum)"
        decoder.report(node, field: field, "unknown value \"\(text)\"", fix: fix)
        return nil
    }
}
