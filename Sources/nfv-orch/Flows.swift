import ArgumentParser
import Foundation
import NFVCatalog
import NFVOrchestrator
import NFVSwitch

/// The configured flows of a chain's first switch stage, with its chain port names; for a
/// chain with `paths:`, the flows of its generated path classifier (and each path's stages).
func configuredFlows(_ loaded: LoadedChain) throws -> (flows: [FlowEntry], ports: FlowSyntax.PortNames, paths: [String: [String]]) {
    let ports = loaded.descriptor.portNumbers
    if !loaded.descriptor.paths.isEmpty {
        let classifier = ServicePaths.classifier(loaded.descriptor)
        var stages: [String: [String]] = [:]
        for path in loaded.descriptor.paths {
            stages[path.name] = path.through
            stages[path.name + "~reverse"] = path.through.reversed()
        }
        return (classifier.flows, ports, stages)
    }
    guard let stage = loaded.descriptor.stages.first(where: { $0.vnf == VNFKind.switch.name }),
        case .switch(let configuration) = loaded.configurations[stage.name]
    else {
        printError("nfv-orch: chain \(loaded.descriptor.name) has no switch stage and no paths")
        throw ExitCode.failure
    }
    return (try configuration.flows.map { try FlowSyntax.parse($0, ports: ports) }, ports, [:])
}

/// The flows deployed chain `name`'s first switch stage runs now, read back from its
/// `flows` dump (each line parses as a flow).
func liveFlows(_ name: String, ports: FlowSyntax.PortNames, daemon: DaemonOptions) throws -> [FlowEntry] {
    let dump: String
    do { dump = try daemon.client.get(OrchestratorServer.Message.self, "/v1/chains/\(name)/flows").message } catch {
        throw fail(error)
    }
    var lines = dump.split(separator: "\n").map(String.init)
    if lines.first?.hasPrefix("stage ") == true {
        lines = Array(lines.dropFirst().prefix { !$0.hasPrefix("stage ") })
    }
    do { return try lines.map { try FlowSyntax.parse($0, ports: ports) } } catch {
        printError("nfv-orch: chain \(name): a live flow does not parse back: \(error)")
        throw ExitCode.failure
    }
}

struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "Show a switch's flows the way ovs-ofctl dump-flows does.",
        discussion:
            "NAME: a deployed chain (live counters, flows added at run time included); FILE: the flows its configuration declares. Every line parses back with nfv-orch add-flow."
    )

    @Argument(help: "A deployed chain's name, or a chain file.")
    var chain: String

    @OptionGroup var format: OutputOptions
    @OptionGroup var daemon: DaemonOptions

    /// One flow for -o json|yaml: the switch stage, the flow in add-flow syntax, its counters.
    struct FlowRecord: Codable {
        var stage: String
        var flow: String
        var packets: Int
        var bytes: Int
    }

    func run() throws {
        if FileManager.default.fileExists(atPath: chain) {
            let loaded = try loadChain(chain, daemon: daemon)
            let (flows, ports, _) = try configuredFlows(loaded)
            let stage = loaded.descriptor.stages.first { $0.vnf == "switch" }?.name ?? "classifier"
            let records = flows.map { FlowRecord(stage: stage, flow: FlowSyntax.formatForAdd($0, ports: ports), packets: 0, bytes: 0) }
            if try format.printStructured(records) { return }
            for flow in flows { print(FlowSyntax.format(flow, ports: ports)) }
            return
        }
        if format.output == .json || format.output == .yaml {
            let data: Data
            do { data = try daemon.client.request("GET", "/v1/chains/\(chain)/stats") } catch { throw fail(error) }
            let stages = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["stages"] as? [[String: Any]] ?? []
            let records = stages.flatMap { stage in
                (stage["flows"] as? [[String: Any]] ?? []).map {
                    FlowRecord(
                        stage: stage["name"] as? String ?? "", flow: $0["flow"] as? String ?? "", packets: $0["packets"] as? Int ?? 0,
                        bytes: $0["bytes"] as? Int ?? 0)
                }
            }
            _ = try format.printStructured(records)
            return
        }
        if let problem = missingChainFile(chain) {
            printError("nfv-orch: \(problem)")
            throw ExitCode.failure
        }
        do {
            print(try daemon.client.get(OrchestratorServer.Message.self, "/v1/chains/\(chain)/flows").message)
        } catch {
            throw fail(error)
        }
    }
}
