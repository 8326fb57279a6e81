import Foundation
import NFVDescriptors
import Yams

/// `nfv-orch import tosca`: a TOSCA network service descriptor's forwarding graphs as chains.
///
/// Two dialects are read: ETSI NFV SOL001 NSDs (`tosca.groups.nfv.VNFFG` whose members are
/// `tosca.nodes.nfv.NFP`s, each an ordered list of `NfpPosition`s whose `NfpPositionElement`s
/// name VNFs or SAPs, classified by `tosca.policies.nfv.NfpRule` policies) and Tacker's VNFFG
/// templates (`tosca.nodes.nfv.FP.TackerV2` / `FP.Tacker` forwarding paths with a `path` of
/// forwarders and ACL `criteria`). Each VNFFG becomes one chain: ports `inside` and `outside`
/// (TAPs; where the descriptor's traffic enters and leaves), one stage per VNF in the order the
/// paths visit them, and one service path per classifier match (`spec.paths`: port ranges
/// become masked port matches); traffic no classifier takes is switched past the stages
/// (`unmatched: switch`), as an SFC classifier leaves it. A VNF's kind comes from `kinds`, else
/// from its name, type or product name (firewall, router, nat, load balancer, switch,
/// policer), else it is a `pass-through` stage (said in the notes). What cannot be expressed
/// (SFC encapsulation, load-balanced or fail-over positions, DSCP and bit-mask criteria, a
/// path that visits VNFs against the chain's order...) is an error at its line naming it.
public struct ToscaImporter {
    public let file: String
    /// A VNF node's kind where the descriptor does not say it (`--vnf NAME=KIND`).
    public var kinds: [String: String]
    /// A VNF node's configuration file (`--config NAME=FILE`).
    public var configs: [String: String]
    /// Values of the template's inputs (`--inputs`: Tacker's parameter file).
    public var inputs: [String: String]
    let decoder: DescriptorDecoder

    /// What an import makes: a chain file and its stages' configuration files per VNFFG, and
    /// notes on what was assumed.
    public struct Result: Sendable {
        public struct Chain: Sendable {
            public var name: String
            /// File name -> text; the chain file is `NAME.yaml`.
            public var files: [(name: String, text: String)]
        }
        public var chains: [Chain]
        public var notes: [String]
    }

    /// The VNF kinds a name can suggest, and their configuration needs.
    static let kindWords: [(kind: String, words: [String])] = [
        ("load-balancer", ["loadbalancer", "load-balancer", "load_balancer", "lb"]), ("firewall", ["firewall", "fw"]),
        ("router", ["router", "rtr"]), ("nat", ["nat"]), ("switch", ["switch"]), ("policer", ["policer"]),
    ]
    static let kindsNeedingConfiguration: Set = ["router", "nat", "load-balancer", "switch", "policer"]

    public init(file: String, kinds: [String: String] = [:], configs: [String: String] = [:], inputs: [String: String] = [:]) {
        self.file = file
        self.kinds = kinds
        self.configs = configs
        self.inputs = inputs
        decoder = DescriptorDecoder(file: file)
    }

    /// Reads `text` (the descriptor) and makes the chains.
    public func run(_ text: String) throws(DescriptorErrorList) -> Result {
        guard let root = decoder.compose(text), let document = root.mapping else {
            throw DescriptorErrorList(
                decoder.errors.isEmpty
                    ? [DescriptorError(location: SourceLocation(file: file, line: 1, column: 1), field: "", message: "not a YAML mapping")]
                    : decoder.errors)
        }
        let versions = ["tosca_simple_profile_for_nfv_1_0_0", "tosca_simple_yaml_1_2", "tosca_simple_yaml_1_3"]
        guard let versionNode = document["tosca_definitions_version"], let version = versionNode.string else {
            decoder.report(
                root, field: "tosca_definitions_version", "not a TOSCA service template",
                fix: "a NSD starts with tosca_definitions_version: tosca_simple_yaml_1_3")
            throw DescriptorErrorList(decoder.errors)
        }
        if !versions.contains(version) {
            decoder.report(
                versionNode, field: "tosca_definitions_version", "\(version) is not a TOSCA version this importer reads",
                fix: "use one of \(versions.joined(separator: ", "))")
        }
        let model = ToscaModel(document: document, decoder: decoder, inputValues: inputs)
        var notes: [String] = []
        var chains: [Result.Chain] = []
        for graph in model.forwardingGraphs() {
            if let chain = makeChain(graph, model: model, notes: &notes) { chains.append(chain) }
        }
        if chains.isEmpty && decoder.errors.isEmpty {
            decoder.report(
                root, field: "topology_template", "no forwarding graph: no tosca.groups.nfv.VNFFG, NFP or Tacker forwarding path",
                fix: "an NSD describes its chains as a VNFFG group with NFP members (SOL001) or FP nodes (Tacker)")
        }
        guard decoder.errors.isEmpty else { throw DescriptorErrorList(decoder.errors) }
        return Result(chains: chains, notes: notes)
    }

    /// A VNFFG as one chain: its stages (the VNFs in visiting order), its paths, the files.
    func makeChain(_ graph: ToscaModel.ForwardingGraph, model: ToscaModel, notes: inout [String]) -> Result.Chain? {
        let errorsBefore = decoder.errors.count
        let name = Self.chainName(graph.name)
        var order: [String] = []
        for path in graph.paths {
            var last = -1
            for (vnf, node) in path.vnfs {
                if let index = order.firstIndex(of: vnf) {
                    if index <= last {
                        decoder.report(
                            node, field: "\(path.name)",
                            "path \(path.name) visits \(vnf) after \(order[last]), against the order another path of \(graph.name) set",
                            fix: "a chain's paths pass its stages in one order; put these paths in separate VNFFGs")
                    }
                    last = index
                } else {
                    order.append(vnf)
                    last = order.count - 1
                }
            }
        }
        var files: [(name: String, text: String)] = []
        var stageLines: [String] = []
        for vnf in order {
            let stage = Self.chainName(vnf)
            let kind = kinds[vnf] ?? model.kindHint(of: vnf).flatMap(Self.kind(from:)) ?? "pass-through"
            if kinds[vnf] == nil && model.kindHint(of: vnf).flatMap(Self.kind(from:)) == nil {
                notes.append(
                    "VNF \(vnf): its kind is not in its name, type or product name; imported as pass-through (say it with --vnf \(vnf)=KIND)")
            }
            var line = "name: \(stage), vnf: \(kind)"
            if let config = configs[vnf] {
                line += ", config: \(config)"
            } else if kind == "firewall" {
                files.append((name: "\(stage).yaml", text: Self.starterFirewall(stage)))
                line += ", config: \(stage).yaml"
                notes.append(
                    "VNF \(vnf): a starter firewall configuration \(stage).yaml (drop what does not start inside); edit it, or pass --config \(vnf)=FILE"
                )
            } else if Self.kindsNeedingConfiguration.contains(kind) {
                decoder.report(
                    model.location(of: vnf), field: vnf, "VNF \(vnf) is a \(kind), whose configuration the NSD does not carry",
                    fix: "write it (docs/descriptors.md) and pass --config \(vnf)=FILE")
            }
            stageLines.append("    - { \(line) }")
        }
        var pathLines: [String] = []
        for path in graph.paths {
            let through = path.vnfs.map { Self.chainName($0.vnf) }.joined(separator: ", ")
            let matches = path.matches.isEmpty ? [nil] : path.matches.map(Optional.some)
            for (index, match) in matches.enumerated() {
                let pathName = Self.chainName(path.name) + (matches.count > 1 ? "-\(index + 1)" : "")
                pathLines.append(
                    "    - { name: \(pathName), from: inside, to: outside" + (match.map { ", match: \"\($0)\"" } ?? "")
                        + ", through: [\(through)], symmetric: \(path.symmetric) }")
            }
        }
        if pathLines.count > 62 {
            decoder.report(
                graph.node, field: graph.name,
                "VNFFG \(graph.name) needs \(pathLines.count) paths (one per classifier match; port ranges take several); a chain has at most 62",
                fix: "use port ranges that align to powers of two, or fewer classifiers")
        }
        guard decoder.errors.count == errorsBefore else { return nil }
        let prefix = String(name.prefix(11))
        let chain = """
            # Imported from \(file) by nfv-orch import tosca: VNFFG \(graph.name)\(graph.description.map { " (\($0))" } ?? "").
            # inside and outside are where the descriptor's traffic enters and leaves; give them
            # the namespaces and addresses of your hosts. Traffic no classifier takes is switched
            # past the stages.
            apiVersion: nfv/v1
            kind: Chain
            metadata:
              name: \(name)
              labels: { imported-from: tosca }
            spec:
              ports:
                - { name: inside, type: tap, ifname: \(prefix)-in }
                - { name: outside, type: tap, ifname: \(prefix)-out }
              stages:
            \(stageLines.joined(separator: "\n"))
              paths:
            \(pathLines.joined(separator: "\n"))
              unmatched: switch

            """
        return Result.Chain(name: name, files: [(name: "\(name).yaml", text: chain)] + files)
    }

    /// A TOSCA name as a chain or stage name (lower case letters, digits, '-').
    static func chainName(_ text: String) -> String {
        var result = ""
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                result.append(character)
            } else if !result.hasSuffix("-") {
                result.append("-")
            }
        }
        let trimmed = result.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "imported" : String(trimmed.prefix(63))
    }

    /// The VNF kind a name suggests.
    static func kind(from hint: String) -> String? {
        let words = Set(hint.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }.map(String.init))
        let joined = hint.lowercased()
        for (kind, candidates) in kindWords {
            if candidates.contains(where: { words.contains($0) || ($0.count > 3 && joined.contains($0)) }) { return kind }
        }
        return nil
    }

    static func starterFirewall(_ name: String) -> String {
        """
        # A starter configuration made by nfv-orch import tosca: the NSD says nothing of rules.
        apiVersion: nfv/v1
        kind: FirewallConfig
        metadata: { name: \(name) }
        spec:
          stateful: true
          defaultAction: drop
          rules:
            - { name: allow-arp, action: allow, match: { etherType: arp } }
            - { name: inside-starts, action: allow, match: { inPort: inside } }

        """
    }
}

extension ToscaImporter {
    /// Input values from a parameter file: a mapping of names to values, or, as Tacker writes
    /// them, such a mapping under `nsd:` or `vnffg:`.
    public static func inputs(fromParameters text: String) -> [String: String]? {
        guard var mapping = ((try? Yams.compose(yaml: text)) ?? nil)?.mapping else { return nil }
        if mapping.count == 1, let key = mapping.keys.first?.string, ["nsd", "vnffg"].contains(key), let inner = mapping[key]?.mapping {
            mapping = inner
        }
        var values: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string, let text = value.string ?? value.sequence.map({ $0.compactMap(\.string).joined(separator: "-") }) else {
                continue
            }
            values[name] = text
        }
        return values
    }
}
