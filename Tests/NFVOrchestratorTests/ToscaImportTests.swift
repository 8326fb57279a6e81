import Foundation
import NFVCatalog
import NFVTestSupport
import Testing
import Yams

/// `nfv-orch import tosca` on descriptors it did not write: Tacker's VNFFG samples
/// (Tests/Fixtures/tosca/tacker, copied from openstack/tacker) and SOL001 NSDs. What each chain
/// must hold is read from the sample itself (its forwarders, its classifiers' port ranges), and
/// every chain written must load as a valid chain; what a chain cannot express is refused at
/// its line, naming it.
@Suite struct ToscaImportTests {
    static let fixtures = Fixtures.root.appendingPathComponent("Tests/Fixtures/tosca")

    /// Runs the importer into a fresh folder; the folder and the result.
    static func importing(_ file: String, _ options: [String] = []) throws -> (folder: URL, result: CommandResult) {
        let folder = try Fixtures.temporaryDirectory()
        let result = try CommandRunner.run(
            "nfv-orch", ["import", "tosca", fixtures.appendingPathComponent(file).path, "-o", folder.path] + options)
        return (folder, result)
    }

    /// The ports a match's `tp_dst=V[/0xM]` covers (all 65536 without one).
    static func destinationPorts(_ match: String) -> Set<Int> {
        guard let field = match.split(separator: ",").first(where: { $0.hasPrefix("tp_dst=") }) else { return Set(0...65535) }
        let parts = field.dropFirst(7).split(separator: "/")
        let value = Int(parts[0])!
        let mask = parts.count > 1 ? Int(parts[1].dropFirst(2), radix: 16)! : 0xFFFF
        return Set((0...65535).filter { $0 & mask == value & mask })
    }

    static let tackerTemplates = [
        "tosca-vnffgd-sample.yaml", "tosca-vnffgd-symmetrical-sample.yaml", "tosca-vnffgd-multiple-classifiers-sample.yaml",
        "tosca-vnffgd-legacy-sample.yaml", "tosca-vnffgd-legacy-multiple-classifiers-sample.yaml", "tosca-vnffgd-legacy-symmetrical-sample.yaml",
        "tosca-vnffgd-no-classifier-sample.yaml", "tosca-vnffgd-param-sample.yaml", "tosca-vnffgd-sample-VNF1.yaml",
        "tosca-single-vnffg-nsd.yaml", "tosca-multiple-vnffg-nsd.yaml",
    ]

    /// Every value of `key` anywhere in a YAML document's nested mappings and lists.
    static func values(of key: String, in value: Any) -> [Any] {
        if let mapping = value as? [String: Any] {
            return mapping.flatMap { entry in (entry.key == key ? [entry.value] : []) + values(of: key, in: entry.value) }
        }
        if let mapping = value as? [AnyHashable: Any] {
            return mapping.flatMap { entry in ("\(entry.key.base)" == key ? [entry.value] : []) + values(of: key, in: entry.value) }
        }
        if let list = value as? [Any] { return list.flatMap { values(of: key, in: $0) } }
        return []
    }

    @Test(arguments: tackerTemplates)
    func tackersSampleImportsAsAValidChainWithItsPathAndClassifier(_ template: String) throws {
        let parameters = template.contains("nsd") ? "ns_param.yaml" : "vnffg-param-file.yaml"
        let (folder, result) = try Self.importing(
            "tacker/\(template)", ["--inputs", Self.fixtures.appendingPathComponent("tacker/\(parameters)").path])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(result.status == 0 && result.standardOutput.contains("valid"), "\(result)")

        // What the sample says, read here on its own.
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("tacker/\(template)"), encoding: .utf8)
        let sample = try #require(try Yams.load(yaml: text) as? [String: Any])
        let topology = try #require(sample["topology_template"] as? [String: Any])
        let nodes = try #require(topology["node_templates"] as? [String: Any])
        let inputs = try #require(
            try Yams.load(yaml: String(contentsOf: Self.fixtures.appendingPathComponent("tacker/\(parameters)"), encoding: .utf8)) as? [String: Any])
        let values = (inputs["nsd"] as? [String: Any]) ?? inputs
        for case (let name, let node as [String: Any]) in nodes where (node["type"] as? String)?.hasPrefix("tosca.nodes.nfv.FP") == true {
            let properties = try #require(node["properties"] as? [String: Any])
            let forwarders = try #require(properties["path"] as? [[String: Any]]).compactMap { $0["forwarder"] as? String }
            let groups = (topology["groups"] as? [String: Any]) ?? [:]
            let group = groups.first { (($0.value as? [String: Any])?["members"] as? [String])?.contains(name) == true }?.key ?? name
            let chainFile = folder.appendingPathComponent(group.lowercased().replacingOccurrences(of: "_", with: "-") + ".yaml")
            let chain = try LoadedChain.load(path: chainFile.path).descriptor
            #expect(chain.unmatched == .switch)
            let paths = chain.paths.filter { $0.name.hasPrefix(name.lowercased().replacingOccurrences(of: "_", with: "-")) }
            #expect(!paths.isEmpty, "\(name) in \(chain.paths.map(\.name))")
            for path in paths {
                #expect(path.through == forwarders.map { $0.lowercased() }, "\(path.through) vs \(forwarders)")
                #expect(path.symmetric == (properties["symmetrical"] as? Bool ?? false))
            }
            // Each classifier's destination port range is covered exactly, once: the matches
            // of one classifier differ only in tp_dst.
            let ranges = Set(
                Self.values(of: "destination_port_range", in: properties["policy"] as Any).map { range in
                    (range as? [String: Any])?["get_input"] != nil ? "\(values["dst_port_range"] ?? "")" : "\(range)"
                })
            let mentionsRanges = !Self.values(of: "destination_port_range", in: properties["policy"] as Any).isEmpty
            var byClassifier: [String: [Set<Int>]] = [:]
            for match in paths.compactMap(\.match) {
                let rest = match.split(separator: ",").filter { !$0.hasPrefix("tp_dst=") }.joined(separator: ",")
                byClassifier[rest, default: []].append(Self.destinationPorts(match))
            }
            #expect(mentionsRanges == !ranges.isEmpty, "\(template): the sample's ranges were read")
            #expect(ranges.isEmpty || !byClassifier.isEmpty, "\(template): its classifiers became matches")
            if ranges.isEmpty {
                #expect(byClassifier.values.allSatisfy { $0.count == 1 }, "no port range: one match per classifier")
            }
            for (classifier, blocks) in byClassifier where !ranges.isEmpty {
                let union = blocks.reduce(into: Set<Int>()) { $0.formUnion($1) }
                let expected = ranges.map { range in Set(Int(range.split(separator: "-")[0])!...Int(range.split(separator: "-")[1])!) }
                #expect(expected.contains(union), "\(template) \(classifier): covers \(union.min() ?? -1)...\(union.max() ?? -1), not \(ranges)")
                #expect(blocks.map(\.count).reduce(0, +) == union.count, "\(classifier): blocks overlap")
            }
            if properties["policy"] == nil {
                #expect(paths.count == 1 && paths[0].match == nil, "no classifier: everything takes the path")
            }
        }
    }

    @Test func whatAChainCannotExpressIsRefusedAtItsLine() throws {
        let (folder, correlation) = try Self.importing(
            "tacker/tosca-vnffgd-correlation.yaml",
            ["--inputs", Self.fixtures.appendingPathComponent("tacker/vnffg-param-file.yaml").path])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(
            correlation.status == 1 && correlation.standardError.contains("tosca-vnffgd-correlation.yaml:31:22: error:")
                && correlation.standardError.contains("correlation mpls"), "\(correlation)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "nothing written")

        let (other, unsupported) = try Self.importing(
            "sol001/edge-service-unsupported-nsd.yaml",
            ["--config", "cg_nat=" + Fixtures.root.appendingPathComponent("vnf-configs/edge-nat.yaml").path])
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(unsupported.status == 1, "\(unsupported)")
        #expect(unsupported.standardError.contains("edge-service-unsupported-nsd.yaml:111:31: error: position_fw.requirements.element"))
        #expect(unsupported.standardError.contains("forwarding_behaviour lb"))
        #expect(unsupported.standardError.contains("edge-service-unsupported-nsd.yaml:142:17: error: web_rule.properties.dscp"))

        let (third, missingInput) = try Self.importing("tacker/tosca-vnffgd-param-sample.yaml")
        defer { try? FileManager.default.removeItem(at: third) }
        #expect(
            missingInput.status == 1 && missingInput.standardError.contains("input dst_port_range has no default and no value"), "\(missingInput)")
    }

    @Test func aSOL001NSDBecomesTheChainItsVNFFGDescribes() throws {
        let nat = Fixtures.root.appendingPathComponent("vnf-configs/edge-nat.yaml").path
        let (folder, result) = try Self.importing("sol001/edge-service-nsd.yaml", ["--config", "cg_nat=\(nat)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(result.status == 0, "\(result)")
        let chain = try LoadedChain.load(path: folder.appendingPathComponent("vnffg-web.yaml").path).descriptor
        // The NFP's positions in order: the firewall (by its product name), then the NAT.
        #expect(chain.stages.map(\.name) == ["edge-fw", "cg-nat"] && chain.stages.map(\.vnf) == ["firewall", "nat"])
        #expect(chain.ports.map(\.name) == ["inside", "outside"] && chain.ports.allSatisfy { $0.kind == .tap })
        // The NfpRule: TCP to 203.0.113.0/24 (the input's default), ports 80 to 443, exactly.
        let matches = chain.paths.compactMap(\.match)
        #expect(matches.allSatisfy { $0.hasPrefix("tcp,nw_dst=203.0.113.0/24,tp_dst=") }, "\(matches)")
        let covered: [Set<Int>] = matches.map(Self.destinationPorts)
        var union = Set<Int>()
        for block in covered { union.formUnion(block) }
        let total = covered.map(\.count).reduce(0, +)
        #expect(union == Set(80...443))
        #expect(total == 364, "the blocks do not overlap (80 to 443 is 364 ports)")
        #expect(chain.paths.allSatisfy { $0.symmetric && $0.through == ["edge-fw", "cg-nat"] })
        // Without a NAT configuration the NSD lacks, the import says which file to give.
        let (other, noConfig) = try Self.importing("sol001/edge-service-nsd.yaml")
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(noConfig.status == 1 && noConfig.standardError.contains("--config cg_nat=FILE"), "\(noConfig)")
    }
}
