import ArgumentParser
import Foundation
import NFVCatalog
import NFVDescriptors
import NFVTosca

/// `nfv-orch import`: descriptors of other systems as chain files.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn descriptors of other systems into chain and VNF configuration files.",
        subcommands: [Tosca.self])

    /// `nfv-orch import tosca NSD.yaml`.
    struct Tosca: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn a TOSCA network service descriptor's forwarding graphs (ETSI SOL001 or Tacker) into chains.",
            discussion: """
                Reads an ETSI NFV SOL001 NSD (a tosca.groups.nfv.VNFFG whose NFPs list NfpPositions of \
                VNFs, classified by tosca.policies.nfv.NfpRule policies) or a Tacker VNFFG template \
                (tosca.nodes.nfv.FP.TackerV2 or FP.Tacker paths with ACL criteria) and writes, per VNFFG, a \
                chain file NAME.yaml: ports inside and outside (TAPs: give them your namespaces and \
                addresses), one stage per VNF in the order the paths visit them, one service path per \
                classifier match (port ranges become masked port matches), unmatched traffic switched \
                past the stages; then validates what it wrote. A VNF's kind comes from --vnf, else from \
                its name, type or product name (firewall, router, nat, load balancer, switch, policer), \
                else it is a pass-through stage; a firewall gets a starter configuration, the other \
                kinds need --config. What the chain cannot express (SFC encapsulation, load-balanced or \
                fail-over positions, DSCP or bit-mask criteria, QinQ, PNFs or nested NSs in a path, \
                paths that disagree on the VNFs' order) is an error at its line. Exit 0: written and \
                valid; 1: errors (nothing written).
                """)

        @Argument(help: "The TOSCA service template (YAML).")
        var file: String

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The folder to write into (created).", valueName: "dir"))
        var output = "."

        @Option(
            help: ArgumentHelp(
                "The kind of VNF node NAME (firewall, router, nat, load-balancer, switch, policer, pass-through, decrement-ttl); repeatable.",
                valueName: "name=kind"))
        var vnf: [String] = []

        @Option(help: ArgumentHelp("The configuration file of VNF node NAME's stage; repeatable.", valueName: "name=file"))
        var config: [String] = []

        @Option(
            help: ArgumentHelp(
                "Values for the template's inputs: a YAML mapping of names to values (Tacker's parameter file, also under nsd: or vnffg:).",
                valueName: "file"))
        var inputs: String?

        @Flag(help: "Replace files that exist.")
        var force = false

        func pairs(_ values: [String], option: String) throws -> [String: String] {
            var result: [String: String] = [:]
            for value in values {
                let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw ValidationError("--\(option) \(value): expected NAME=VALUE")
                }
                result[parts[0]] = parts[1]
            }
            return result
        }

        func run() throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                printError("nfv-orch: import tosca: \(file) cannot be read")
                throw ExitCode.failure
            }
            let kinds = try pairs(vnf, option: "vnf")
            for (name, kind) in kinds where !VNFKind.allCases.map(\.name).contains(kind) {
                throw ValidationError("--vnf \(name)=\(kind): not a VNF kind (\(VNFKind.allCases.map(\.name).joined(separator: ", ")))")
            }
            let configs = try pairs(config, option: "config").mapValues { URL(fileURLWithPath: $0).standardizedFileURL.path }
            var values: [String: String] = [:]
            if let inputs {
                guard let text = try? String(contentsOfFile: inputs, encoding: .utf8), let parsed = ToscaImporter.inputs(fromParameters: text) else {
                    printError("nfv-orch: import tosca: --inputs \(inputs) is not a readable YAML mapping of input values")
                    throw ExitCode.failure
                }
                values = parsed
            }
            let result: ToscaImporter.Result
            do { result = try ToscaImporter(file: file, kinds: kinds, configs: configs, inputs: values).run(text) } catch {
                printError(error.errors.map(\.description).joined(separator: "\n"))
                throw ExitCode.failure
            }
            let folder = URL(fileURLWithPath: output)
            let names = result.chains.flatMap { $0.files.map(\.name) }
            if !force, let existing = names.first(where: { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }) {
                printError("nfv-orch: import tosca: \(folder.appendingPathComponent(existing).path) exists (--force replaces it)")
                throw ExitCode.failure
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for chain in result.chains {
                for file in chain.files { try file.text.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8) }
            }
            for note in result.notes { printError("note: \(note)") }
            var invalid = false
            for chain in result.chains {
                let path = folder.appendingPathComponent("\(chain.name).yaml").path
                do {
                    let loaded = try LoadedChain.load(path: path).descriptor
                    print(
                        "\(path): chain \(loaded.name): \(loaded.ports.count) ports, \(loaded.stages.count) stages ("
                            + loaded.stages.map { "\($0.name): \($0.vnf)" }.joined(separator: ", ") + "), \(loaded.paths.count) path(s); valid")
                } catch {
                    printError(error.errors.map(\.description).joined(separator: "\n"))
                    invalid = true
                }
            }
            if invalid { throw ExitCode.failure }
        }
    }
}
