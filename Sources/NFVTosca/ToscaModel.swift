import Foundation
import NFVDescriptors
import NFVPacket
import Yams

/// The parts of a TOSCA service template the importer reads: node templates and their types
/// (following `derived_from` through the template's own type definitions), inputs' defaults,
/// groups and policies, and from them the forwarding graphs.
struct ToscaModel {
    /// A VNFFG: its paths, in the order the template lists them.
    struct ForwardingGraph {
        var name: String
        var node: Node
        var description: String?
        var paths: [Path]
    }

    /// One NFP or Tacker forwarding path: the VNFs it visits, its classifier as Open vSwitch
    /// matches (empty: all traffic), whether replies take it back.
    struct Path {
        var name: String
        var vnfs: [(vnf: String, node: Node)]
        var matches: [String]
        var symmetric: Bool
    }

    let nodes: [String: Node]
    let derivedFrom: [String: String]
    let inputs: [String: Node]
    let groups: [(name: String, node: Node)]
    let policies: [(name: String, node: Node)]
    let decoder: DescriptorDecoder
    let root: Node
    /// Values for the template's inputs (`--inputs`), before their defaults.
    let inputValues: [String: String]

    init(document: Node.Mapping, decoder: DescriptorDecoder, inputValues: [String: String] = [:]) {
        self.decoder = decoder
        self.inputValues = inputValues
        root = .mapping(document)
        let topology = document["topology_template"]?.mapping
        var nodes: [String: Node] = [:]
        for (key, value) in topology?["node_templates"]?.mapping ?? [:] { if let name = key.string { nodes[name] = value } }
        self.nodes = nodes
        var derived: [String: String] = [:]
        for section in ["node_types", "group_types", "policy_types"] {
            for (key, value) in document[section]?.mapping ?? [:] {
                if let name = key.string, let base = value.mapping?["derived_from"]?.string { derived[name] = base }
            }
        }
        derivedFrom = derived
        var inputs: [String: Node] = [:]
        for (key, value) in topology?["inputs"]?.mapping ?? [:] { if let name = key.string { inputs[name] = value } }
        self.inputs = inputs
        groups = (topology?["groups"]?.mapping ?? [:]).compactMap { key, value in key.string.map { ($0, value) } }
        // Policies are a list of one-entry mappings (TOSCA 1.2/1.3), or a mapping.
        var policies: [(name: String, node: Node)] = []
        if let list = topology?["policies"]?.sequence {
            for entry in list { for (key, value) in entry.mapping ?? [:] { if let name = key.string { policies.append((name, value)) } } }
        } else {
            for (key, value) in topology?["policies"]?.mapping ?? [:] { if let name = key.string { policies.append((name, value)) } }
        }
        self.policies = policies
    }

    /// Whether `type` is `base` or derives from it through the template's own types.
    func type(_ type: String?, isA base: String) -> Bool {
        var current = type
        var seen: Set<String> = []
        while let name = current, seen.insert(name).inserted {
            if name == base { return true }
            current = derivedFrom[name]
        }
        return false
    }

    func type(of node: String) -> String? { nodes[node]?.mapping?["type"]?.string }

    func location(of node: String) -> SourceLocation {
        nodes[node].map { decoder.location(of: $0) } ?? decoder.location(of: root)
    }

    /// Words that may say a VNF's kind: its name, type, product name and descriptor id.
    func kindHint(of vnf: String) -> String? {
        let properties = nodes[vnf]?.mapping?["properties"]?.mapping
        return [
            vnf, type(of: vnf), properties?["product_name"]?.string, properties?["descriptor_id"]?.string, properties?["flavour_description"]?.string,
        ]
        .compactMap { $0 }.joined(separator: " ")
    }

    /// `value`, or the default of the input `{get_input: NAME}` names.
    func resolved(_ value: Node) -> Node? {
        guard let name = value.mapping?["get_input"]?.string else { return value }
        if let given = inputValues[name] { return Node(given) }
        guard let input = inputs[name]?.mapping, let fallback = input["default"] else {
            decoder.report(
                value, field: "get_input", "input \(name) has no default and no value",
                fix: "pass --inputs FILE with \(name): VALUE (Tacker's parameter file), or give it a default")
            return nil
        }
        return fallback
    }

    /// Every VNFFG (a group of NFPs or Tacker forwarding paths); a path no group holds is a
    /// graph of its own.
    func forwardingGraphs() -> [ForwardingGraph] {
        var graphs: [ForwardingGraph] = []
        var grouped: Set<String> = []
        for (name, node) in groups where type(node.mapping?["type"]?.string, isA: "tosca.groups.nfv.VNFFG") {
            let group = node.mapping
            let members = (group?["members"]?.sequence ?? []).compactMap(\.string)
            let description = group?["description"]?.string ?? group?["properties"]?.mapping?["description"]?.string
            var paths: [Path] = []
            for member in members where isPath(member) {
                grouped.insert(member)
                if let path = path(member) { paths.append(path) }
            }
            if paths.isEmpty {
                decoder.report(node, field: name, "VNFFG \(name) has no NFP or forwarding path among its members", fix: "list the NFP in members:")
                continue
            }
            graphs.append(ForwardingGraph(name: name, node: node, description: description, paths: paths))
        }
        for name in nodes.keys.sorted() where isPath(name) && !grouped.contains(name) {
            if let path = path(name) { graphs.append(ForwardingGraph(name: name, node: nodes[name]!, description: nil, paths: [path])) }
        }
        return graphs
    }

    func isPath(_ node: String) -> Bool {
        type(type(of: node), isA: "tosca.nodes.nfv.NFP") || type(of: node)?.hasPrefix("tosca.nodes.nfv.FP") == true
    }

    func path(_ name: String) -> Path? {
        type(type(of: name), isA: "tosca.nodes.nfv.NFP") ? solPath(name) : tackerPath(name)
    }

    // MARK: Tacker

    /// A Tacker forwarding path: `path` (forwarders in order), `policy.criteria` (ACL),
    /// `symmetrical`. `correlation` (MPLS or NSH encapsulation) cannot be expressed.
    func tackerPath(_ name: String) -> Path? {
        guard let node = nodes[name], let properties = node.mapping?["properties"]?.mapping else {
            decoder.report(nodes[name] ?? root, field: name, "forwarding path \(name) has no properties", fix: "give it path: and policy:")
            return nil
        }
        if let correlation = properties["correlation"] {
            decoder.report(
                correlation, field: "\(name).properties.correlation",
                "correlation \(correlation.string ?? "") (SFC encapsulation, MPLS or NSH) cannot be expressed: chains steer by classifier and port",
                fix: "remove correlation; the classifier and the path's order are kept")
        }
        var vnfs: [(vnf: String, node: Node)] = []
        for hop in properties["path"]?.sequence ?? [] {
            guard let forwarder = hop.mapping?["forwarder"].flatMap(resolved)?.string else {
                decoder.report(hop, field: "\(name).properties.path", "a path element needs a forwarder", fix: "write - forwarder: VNFD1")
                continue
            }
            vnfs.append((forwarder, hop))
        }
        if vnfs.isEmpty {
            decoder.report(node, field: "\(name).properties.path", "forwarding path \(name) visits no VNF", fix: "list the forwarders in path:")
        }
        var matches: [String] = []
        if let policy = properties["policy"]?.mapping {
            if let type = policy["type"]?.string, type != "ACL" {
                decoder.report(
                    policy["type"]!, field: "\(name).properties.policy.type", "policy type \(type) is not a classifier this importer reads",
                    fix: "use type: ACL")
            }
            let criteria = policy["criteria"]?.sequence ?? []
            func pairs(_ node: Node?) -> [(String, Node)] { (node?.mapping ?? [:]).compactMap { key, value in key.string.map { ($0, value) } } }
            if criteria.contains(where: { $0.mapping?["classifier"] != nil }) {
                // TackerV2: each criterion {name, classifier: {...}} is one classifier.
                for criterion in criteria {
                    matches += classifierMatches(pairs(criterion.mapping?["classifier"]), field: "\(name).properties.policy.criteria")
                }
            } else if !criteria.isEmpty {
                // Tacker: one field per entry; together they are one classifier.
                matches += classifierMatches(criteria.flatMap { pairs($0) }, field: "\(name).properties.policy.criteria")
            }
        }
        let symmetric = properties["symmetrical"].flatMap(resolved)?.bool ?? false
        return Path(name: name, vnfs: vnfs, matches: matches.map(Self.canonical), symmetric: symmetric)
    }

    // MARK: SOL001

    /// A SOL001 NFP: its `nfp_position` requirements in order, each one element naming a VNF
    /// (or a SAP: where traffic enters or leaves, the chain's ports); the NfpRule policies
    /// that target it are its classifiers.
    func solPath(_ name: String) -> Path? {
        guard let node = nodes[name] else { return nil }
        var vnfs: [(vnf: String, node: Node)] = []
        for position in requirements(of: name, named: "nfp_position") {
            guard let positionName = target(position), let positionNode = nodes[positionName] else {
                decoder.report(position, field: "\(name).requirements.nfp_position", "it names no node template", fix: "name an NfpPosition node")
                continue
            }
            let elements = requirements(of: positionName, named: "element")
            let behaviour = positionNode.mapping?["properties"]?.mapping?["forwarding_behaviour"]
            if elements.count > 1 {
                decoder.report(
                    behaviour ?? positionNode, field: "\(positionName).requirements.element",
                    "NfpPosition \(positionName) forwards to \(elements.count) elements (forwarding_behaviour \(behaviour?.string ?? "all")): a chain's stage is one VNF",
                    fix: "give the position one element; spread load with a load-balancer VNF in the path")
                continue
            }
            for element in elements {
                guard let elementName = target(element) else { continue }
                for profile in requirements(of: elementName, named: "profile_element") {
                    guard let vnf = target(profile) else { continue }
                    let vnfType = type(of: vnf)
                    if type(vnfType, isA: "tosca.nodes.nfv.Sap") { continue }
                    if type(vnfType, isA: "tosca.nodes.nfv.VNF") || vnfType == nil && nodes[vnf] == nil {
                        if !vnfs.contains(where: { $0.vnf == vnf }) { vnfs.append((vnf, profile)) }
                    } else {
                        decoder.report(
                            profile, field: "\(elementName).requirements.profile_element",
                            "\(vnf) is a \(vnfType ?? "node") (a PNF or a nested NS): a chain's stages are VNFs it runs",
                            fix: "keep PNFs and nested NSs outside the path")
                    }
                }
            }
        }
        if vnfs.isEmpty {
            decoder.report(
                node, field: "\(name).requirements", "NFP \(name) visits no VNF", fix: "list its positions (nfp_position) with elements naming VNFs")
        }
        var matches: [String] = []
        for (policyName, policy) in policies where type(policy.mapping?["type"]?.string, isA: "tosca.policies.nfv.NfpRule") {
            let targets = (policy.mapping?["targets"]?.sequence ?? []).compactMap(\.string)
            guard targets.contains(name) else { continue }
            let pairs = (policy.mapping?["properties"]?.mapping ?? [:]).compactMap { key, value in key.string.map { ($0, value) } }
            matches += classifierMatches(pairs, field: "\(policyName).properties")
        }
        return Path(name: name, vnfs: vnfs, matches: matches.map(Self.canonical), symmetric: true)
    }

    /// The values of requirement `key` of node `name` (a list of one-entry mappings).
    func requirements(of name: String, named key: String) -> [Node] {
        (nodes[name]?.mapping?["requirements"]?.sequence ?? []).compactMap { $0.mapping?[key] }
    }

    /// The node a requirement names: `NODE`, `[NODE, CAPABILITY]` or `{node: NODE}`.
    func target(_ value: Node) -> String? {
        value.string ?? value.sequence?.first?.string ?? value.mapping?["node"]?.string
    }

    // MARK: classifiers

    /// A classifier's fields as Open vSwitch matches; port ranges take one match per masked
    /// block (so a classifier may be several matches). A field that cannot be expressed is an
    /// error naming it.
    func classifierMatches(_ fields: [(String, Node)], field: String) -> [String] {
        var values: [String: (text: String, node: Node)] = [:]
        for (key, raw) in fields {
            // The chain's ports stand for the source and destination ports (Neutron ports).
            if ["name", "network_src_port_id", "network_dst_port_id", "network_id", "tenant_id"].contains(key) { continue }
            guard let value = resolved(raw) else { continue }
            switch key {
            case "dscp", "extended_criteria":
                decoder.report(
                    raw, field: "\(field).\(key)",
                    "\(key) cannot be matched: the chain's classifier has no \(key == "dscp" ? "DSCP" : "bit-mask") field",
                    fix: "remove \(key), or classify on addresses, protocol and ports")
            case "vlan_tag":
                let tags = value.sequence?.compactMap(\.string) ?? value.string.map { [$0] } ?? []
                if tags.count > 1 {
                    decoder.report(
                        raw, field: "\(field).vlan_tag", "\(tags.count) VLAN tags (QinQ): the classifier matches one", fix: "match the outer tag only"
                    )
                }
                if let tag = tags.first { values["vlan"] = (tag, raw) }
            case "ip_proto", "protocol", "ether_type", "ethertype", "ip_src_prefix", "ip_dst_prefix", "source_ip_address_prefix",
                "destination_ip_address_prefix", "source_port_range", "destination_port_range", "ether_source_address",
                "ether_destination_address":
                let text = value.sequence.map { $0.compactMap(\.string).joined(separator: "-") } ?? value.string ?? ""
                values[key] = (text, raw)
            default:
                decoder.report(
                    raw, field: "\(field).\(key)", "classifier field \(key) is not one this importer knows",
                    fix: "remove it, or classify on addresses, protocol and ports")
            }
        }
        let sourcePrefix = values["ip_src_prefix"] ?? values["source_ip_address_prefix"]
        let destinationPrefix = values["ip_dst_prefix"] ?? values["destination_ip_address_prefix"]
        let etherType = (values["ether_type"] ?? values["ethertype"])?.text.lowercased()
        let isIPv6 = etherType == "ipv6" || [sourcePrefix, destinationPrefix].contains { $0?.text.contains(":") == true }
        var parts: [String] = []
        let protocolEntry = values["ip_proto"] ?? values["protocol"]
        let protocolNumber: Int? = protocolEntry.flatMap { entry in
            let names = ["tcp": 6, "udp": 17, "sctp": 132, "icmp": 1, "icmpv6": 58, "ipv6-icmp": 58]
            if let number = Int(entry.text) ?? names[entry.text.lowercased()] { return number }
            decoder.report(
                entry.node, field: "\(field).protocol", "protocol \(entry.text) is not a number or tcp, udp, sctp, icmp, icmpv6",
                fix: "write the IANA number or one of those names")
            return nil
        }
        switch protocolNumber {
        case 6: parts.append(isIPv6 ? "tcp6" : "tcp")
        case 17: parts.append(isIPv6 ? "udp6" : "udp")
        case 132: parts.append(isIPv6 ? "sctp6" : "sctp")
        case 1: parts.append("icmp")
        case 58: parts.append("icmp6")
        case let number?: parts.append((isIPv6 ? "ipv6" : "ip") + ",nw_proto=\(number)")
        case nil:
            if sourcePrefix != nil || destinationPrefix != nil || etherType != nil { parts.append(isIPv6 ? "ipv6" : "ip") }
        }
        for (entry, name) in [(sourcePrefix, "src"), (destinationPrefix, "dst")] {
            guard let entry else { continue }
            guard let prefix = Self.network(entry.text) else {
                decoder.report(entry.node, field: "\(field)", "\(entry.text) is not an address prefix", fix: "write 10.10.0.0/24")
                continue
            }
            parts.append((isIPv6 ? "ipv6_\(name)=" : "nw_\(name)=") + prefix)
        }
        if let mac = values["ether_source_address"] { parts.append("dl_src=\(mac.text)") }
        if let mac = values["ether_destination_address"] { parts.append("dl_dst=\(mac.text)") }
        if let tag = values["vlan"] { parts.append("dl_vlan=\(tag.text)") }
        var portChoices: [[String]] = []
        for (key, name) in [("source_port_range", "tp_src"), ("destination_port_range", "tp_dst")] {
            guard let entry = values[key] else { continue }
            guard [6, 17, 132].contains(protocolNumber ?? 0) else {
                decoder.report(
                    entry.node, field: "\(field).\(key)", "a port range needs the protocol tcp, udp or sctp",
                    fix: "add the protocol (ip_proto: 6, or protocol: tcp)")
                continue
            }
            let bounds = entry.text.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(bounds.count), let low = bounds.first, let high = bounds.last, 0 <= low, low <= high, high <= 65535 else {
                decoder.report(entry.node, field: "\(field).\(key)", "\(entry.text) is not a port range", fix: "write 80-1024")
                continue
            }
            portChoices.append(
                Self.maskedBlocks(low: low, high: high).map {
                    $0.mask == 0 ? "" : "\(name)=" + ($0.mask == 0xFFFF ? "\($0.value)" : "\($0.value)/0x\(String($0.mask, radix: 16))")
                })
        }
        var matches = [parts.joined(separator: ",")]
        for choices in portChoices {
            matches = matches.flatMap { base in choices.map { [base, $0].filter { !$0.isEmpty }.joined(separator: ",") } }
        }
        return matches.filter { !$0.isEmpty }
    }

    /// `10.10.0.5/24` as its network, `10.10.0.0/24` (TOSCA templates often write an address
    /// with its prefix length); an address alone as a host prefix. Nil when malformed.
    static func network(_ text: String) -> String? {
        let pieces = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = IPv4Address(pieces[0]).map(IPv6Address.init(ipv4Mapped:)) ?? IPv6Address(pieces[0]) else { return nil }
        let isIPv4 = IPv4Address(pieces[0]) != nil
        let bits = pieces.count > 1 ? Int(pieces[1]) : (isIPv4 ? 32 : 128)
        guard let bits, (0...(isIPv4 ? 32 : 128)).contains(bits) else { return nil }
        return IPPrefix(network: address, length: isIPv4 ? 96 + bits : bits, isIPv4: isIPv4).description  // host bits cleared
    }

    /// The aligned power-of-two blocks that cover `low...high`, as port value and mask.
    static func maskedBlocks(low: Int, high: Int) -> [(value: Int, mask: Int)] {
        var blocks: [(value: Int, mask: Int)] = []
        var start = low
        while start <= high {
            var bits = 0
            while bits < 16, start & ((1 << (bits + 1)) - 1) == 0, start + (1 << (bits + 1)) - 1 <= high { bits += 1 }
            blocks.append((start, 0xFFFF & ~((1 << bits) - 1)))
            start += 1 << bits
        }
        return blocks
    }

    /// Matches with no empty parts.
    static func canonical(_ match: String) -> String {
        match.split(separator: ",").map(String.init).joined(separator: ",")
    }
}
