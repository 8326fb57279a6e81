import ArgumentParser
import Foundation
import NFVDescriptors
import NFVOrchestrator
import NFVCatalog
import NFVReplay
import NFVSwitch

/// What the daemon-backed commands share: where the daemon is, and how to reach it.
struct DaemonOptions: ParsableArguments {
    /// The paths (NFV_ORCH_STATE_DIR, NFV_ORCH_SOCKET, NFV_ORCH_RUN_DIR override the defaults).
    var paths: OrchestratorPaths { OrchestratorPaths.fromEnvironment() }
    var client: OrchestratorClient { OrchestratorClient(paths: paths) }

    /// This executable (to start the daemon) and the data plane next to it.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
    static var dataplane: String { ((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent("nfv-dataplane") }
}

/// Reads a chain file, printing its errors (file:line:column) and exiting 1 when it is invalid.
func readSnapshot(_ path: String) throws -> ChainSnapshot {
    do { return try ChainSnapshot.read(path: path) } catch {
        printError(error.errors.map(\.description).joined(separator: "\n"))
        throw ExitCode.failure
    }
}

func fail(_ error: OrchestratorClient.ClientError) -> ExitCode {
    printError("nfv-orch: \(error)")
    return ExitCode.failure
}

func printPlan(_ plan: DeploymentPlan) {
    let mark: String = switch plan.action {
    case .create: "+"
    case .unchanged: "="
    case .updateInPlace: "~"
    case .updateWithRestart: "!"
    case .delete: "-"
    }
    print("chain \(plan.chain): \(plan.action.rawValue)")
    for change in plan.changes { print("  \(mark) \(change)") }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what deploying a chain file would do, without doing it.",
        discussion: """
            Compares the file with the deployed chain of the same metadata.name: create, unchanged, \
            update-in-place (applied to the running data plane between two batches, nothing lost: \
            firewall rules and default actions, router static routes, load-balancer backends, NAT \
            source rules and forwards, the restart policy), update-with-restart (ports, workers, \
            paths, stages, table sizes and timeouts, a firewall's stateful setting, router \
            interfaces, load-balancer services, the NAT pool, switch configurations: deploy needs \
            --allow-restart) or delete. Each change line says how it is applied. Asks the daemon \
            when one runs, otherwise reads the persisted state. Exit 0: no change; 2: changes; 1: error.
            """,
        aliases: ["diff"])

    @Argument(help: "The chain descriptor (YAML).")
    var file: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let snapshot = try readSnapshot(file)
        let plan: DeploymentPlan
        do {
            plan = try daemon.client.post(DeploymentPlan.self, "/v1/plan", snapshot)
        } catch .notRunning {
            do {
                let supervisor = Supervisor(paths: daemon.paths, store: try StateStore(path: daemon.paths.databasePath),
                                            dataplane: DaemonOptions.dataplane)
                plan = try supervisor.plan(snapshot)
            } catch {
                printError("nfv-orch: \(error)")
                throw ExitCode.failure
            }
        } catch {
            throw fail(error)
        }
        printPlan(plan)
        throw ExitCode(plan.exitCode)
    }
}

struct Deploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy a chain, or apply the changes of a deployed one (idempotent).",
        discussion: """
            Validates the file and its VNF configurations, then hands them to the daemon (started \
            if none runs). Deploying the same file again changes nothing and says "unchanged". \
            What nfv-orch plan calls update-in-place (firewall rules, router routes, load-balancer \
            backends, NAT source rules and forwards) is applied to the running chain without a \
            restart, keeping connections and mappings; changes that need a restart are refused \
            unless --allow-restart is given. The daemon runs the chain from a copy of the files \
            taken now.
            """)

    @Argument(help: "The chain descriptor (YAML).")
    var file: String

    @Flag(help: "Wait until the chain forwards (at most 15 s).")
    var wait = false

    @Flag(help: "Apply changes that need a restart of the chain's data plane (traffic stops meanwhile).")
    var allowRestart = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let snapshot = try readSnapshot(file)
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let result = try daemon.client.post(Supervisor.DeployResult.self, "/v1/deploy",
                                                OrchestratorServer.DeployRequest(snapshot: snapshot, allowRestart: allowRestart, wait: wait),
                                                timeoutSeconds: 120)
            print("chain \(snapshot.name): \(result.outcome)" + (result.outcome == "unchanged" ? "" : " (generation \(result.generation))"))
            for change in result.plan.changes where result.outcome != "unchanged" { print("  \(change)") }
        } catch {
            throw fail(error)
        }
    }
}

struct Undeploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a chain and remove everything it created.",
        discussion: "NAME is the chain's metadata.name, or a chain file naming it. --force always succeeds: it kills a data plane that does not stop, removes namespaces a killed one left, and forgets the chain whatever its state.")

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @Flag(help: "Succeed whatever the chain's state.")
    var force = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var name = chain
        if FileManager.default.fileExists(atPath: chain) {
            guard let snapshot = try? ChainSnapshot.read(path: chain) else {
                printError("nfv-orch: \(chain) is not a valid chain file (see nfv-orch validate \(chain)); undeploy by name instead")
                throw ExitCode.failure
            }
            name = snapshot.name
        }
        do {
            if force { try daemon.client.ensureDaemon(executable: DaemonOptions.executable) }
            let answer = try daemon.client.post(OrchestratorServer.Message.self, "/v1/undeploy",
                                                OrchestratorServer.UndeployRequest(name: name, force: force), timeoutSeconds: 60)
            print(answer.message)
        } catch {
            throw fail(error)
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List deployed chains.")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let chains = try daemon.client.get([Supervisor.ChainStatus].self, "/v1/chains")
            let rows = [["NAME", "PHASE", "RUNNING", "GEN", "RESTARTS", "STAGES"]] + chains.map {
                [$0.name, $0.phase, $0.running ? "yes" : "no", "\($0.generation)", "\($0.restarts)", $0.stages.joined(separator: " -> ")]
            }
            printTable(rows)
        } catch {
            throw fail(error)
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a chain's desired and actual state, restarts and last error.")

    @Argument(help: "The chain's name.")
    var name: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let status = try daemon.client.get(Supervisor.ChainStatus.self, "/v1/chains/\(name)")
            print("chain:      \(status.name)")
            print("file:       \(status.file) (generation \(status.generation))")
            print("desired:    running")
            print("actual:     \(status.phase)" + (status.running ? ", data plane pid \(status.pid.map(String.init) ?? "?")" : ", no data plane running"))
            print("restarts:   \(status.restarts)")
            print("last error: \(status.lastError ?? "none")")
            print("ports:      " + status.ports.joined(separator: ", "))
            print("stages:     " + status.stages.joined(separator: " -> "))
            // Per stage, from the running data plane: what went in, out, and was dropped.
            if status.running, let data = try? daemon.client.request("GET", "/v1/chains/\(name)/stats"),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                for stage in object["stages"] as? [[String: Any]] ?? [] {
                    let drops = (stage["drops"] as? [String: Int] ?? [:]).values.reduce(0, +)
                    print("  \(stage["name"] as? String ?? "") (\(stage["kind"] as? String ?? "")): running, "
                          + "rx \(stage["rx"] as? Int ?? 0), tx \(stage["tx"] as? Int ?? 0), dropped \(drops)")
                }
            }
        } catch {
            throw fail(error)
        }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a chain's counters: per port, per stage with drops by reason, firewall rule hits.")

    @Argument(help: "The chain's name.")
    var name: String

    @Flag(help: "Print again every second until interrupted.")
    var watch = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        repeat {
            do {
                try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let data = try daemon.client.request("GET", "/v1/chains/\(name)/stats")
                print(Self.format(data))
            } catch {
                throw fail(error)
            }
            if watch { sleep(1); print("") }
        } while watch
    }

    static func format(_ data: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return String(decoding: data, as: UTF8.self) }
        var lines: [String] = []
        func drops(_ value: Any?) -> String {
            let drops = (value as? [String: Int] ?? [:]).sorted { $0.key < $1.key }
            return drops.isEmpty ? "-" : drops.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        var rows = [["PORT", "RX", "RX BYTES", "TX", "TX BYTES", "DROPS"]]
        for port in object["ports"] as? [[String: Any]] ?? [] {
            rows.append([port["name"] as? String ?? "", "\(port["rxPackets"] as? Int ?? 0)", "\(port["rxBytes"] as? Int ?? 0)",
                         "\(port["txPackets"] as? Int ?? 0)", "\(port["txBytes"] as? Int ?? 0)", drops(port["drops"])])
        }
        lines.append(tableText(rows))
        rows = [["STAGE", "KIND", "RX", "TX", "DROPS"]]
        var rules = [["STAGE", "RULE", "PACKETS", "BYTES"]]
        for stage in object["stages"] as? [[String: Any]] ?? [] {
            let name = stage["name"] as? String ?? ""
            rows.append([name, stage["kind"] as? String ?? "", "\(stage["rx"] as? Int ?? 0)", "\(stage["tx"] as? Int ?? 0)", drops(stage["drops"])])
            for rule in stage["rules"] as? [[String: Any]] ?? [] {
                rules.append([name, rule["name"] as? String ?? "", "\(rule["packets"] as? Int ?? 0)", "\(rule["bytes"] as? Int ?? 0)"])
            }
        }
        lines.append("")
        lines.append(tableText(rows))
        if rules.count > 1 {
            lines.append("")
            lines.append(tableText(rules))
        }
        return lines.joined(separator: "\n")
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the event log: deploys, updates, starts, exits, restarts, adoptions.")

    @Flag(help: "Keep printing new events until interrupted.")
    var follow = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var last: Int64 = 0
        let formatter = ISO8601DateFormatter()
        do { try daemon.client.ensureDaemon(executable: DaemonOptions.executable) } catch { throw fail(error) }
        repeat {
            do {
                for event in try daemon.client.get([StateStore.Event].self, "/v1/events?after=\(last)") {
                    print("\(formatter.string(from: Date(timeIntervalSince1970: event.at)))  \(event.chain)  \(event.kind)  \(event.message)")
                    last = event.id
                }
            } catch {
                throw fail(error)
            }
            if follow { usleep(500_000) }
        } while follow
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the orchestrator daemon (nfv-orch deploy starts it when none runs).",
        discussion: """
            Serves the API on a unix socket (mode 0600) and supervises one nfv-dataplane per \
            deployed chain: restarts one that exits with backoff (crash-loop after 5 starts in a \
            minute), and on start adopts data planes that still run. Stopping the daemon leaves \
            data planes running. Paths: NFV_ORCH_STATE_DIR (default /var/lib/nfv-orch), \
            NFV_ORCH_SOCKET (/run/nfv-orch/nfv-orch.sock), NFV_ORCH_RUN_DIR (/run/nfv-orch).
            """)

    @OptionGroup var daemon: DaemonOptions

    func run() async throws {
        let paths = daemon.paths
        if daemon.client.isDaemonRunning {
            printError("nfv-orch: a daemon already answers on \(paths.socketPath)")
            throw ExitCode.failure
        }
        let store = try StateStore(path: paths.databasePath)
        let supervisor = Supervisor(paths: paths, store: store, dataplane: DaemonOptions.dataplane)
        let pidFile = paths.stateDirectory + "/daemon.pid"
        try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        print("nfv-orch: serving on \(paths.socketPath), state in \(paths.stateDirectory) (pid \(getpid()) in \(pidFile))")
        try await OrchestratorServer.run(supervisor: supervisor)
    }
}

func tableText(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    let widths = first.indices.map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

func printTable(_ rows: [[String]]) { print(tableText(rows)) }

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a chain: its ports, stages and the path between them.",
        discussion: """
            CHAIN is a chain file or the name of a deployed chain. Forward traffic enters on the \
            first port, passes the stages in order and leaves on the second; the reverse path \
            (dashed) passes them in reverse. --format svg runs Graphviz's dot (Debian: graphviz).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case dot, svg, json
    }

    @Argument(help: "A chain file, or the name of a deployed chain.")
    var chain: String

    @Option(help: "dot, svg or json.")
    var format: Format = .dot

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let loaded = try loadChain(chain, daemon: daemon)
        switch format {
        case .dot: print(ChainGraph.dot(loaded), terminator: "")
        case .json: print(try ChainGraph.json(loaded), terminator: "")
        case .svg:
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["dot", "-Tsvg"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            do { try process.run() } catch {
                printError("nfv-orch: cannot run Graphviz's dot (apt-get install graphviz): \(error)")
                throw ExitCode.failure
            }
            input.fileHandleForWriting.write(Data(ChainGraph.dot(loaded).utf8))
            try input.fileHandleForWriting.close()
            let svg = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                printError("nfv-orch: dot failed (exit \(process.terminationStatus)); is graphviz installed?")
                throw ExitCode.failure
            }
            FileHandle.standardOutput.write(svg)
        }
    }
}

/// Loads a chain file, or the files a deployed chain was deployed from.
func loadChain(_ chain: String, daemon: DaemonOptions) throws -> LoadedChain {
    if FileManager.default.fileExists(atPath: chain) {
        do { return try LoadedChain.load(path: chain) } catch {
            printError(error.errors.map(\.description).joined(separator: "\n"))
            throw ExitCode.failure
        }
    }
    do {
        let snapshot = try daemon.client.get(ChainSnapshot.self, "/v1/chains/\(chain)/snapshot")
        let directory = NSTemporaryDirectory() + "nfv-orch-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try snapshot.load(frozenIn: directory)
    } catch let error as OrchestratorClient.ClientError {
        throw fail(error)
    }
}

/// The configured flows of a chain's first switch stage, with its chain port names; for a
/// chain with `paths:`, the flows of its generated path classifier (and each path's stages).
func configuredFlows(_ loaded: LoadedChain) throws -> (flows: [FlowEntry], ports: FlowSyntax.PortNames, paths: [String: [String]]) {
    let ports = Dictionary(loaded.descriptor.ports.enumerated().map { ($1.name, UInt16($0)) }, uniquingKeysWith: { first, _ in first })
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
          case .switch(let configuration) = loaded.configurations[stage.name] else {
        printError("nfv-orch: chain \(loaded.descriptor.name) has no switch stage and no paths")
        throw ExitCode.failure
    }
    return (try configuration.flows.map { try FlowSyntax.parse($0, ports: ports) }, ports, [:])
}

struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "Show a switch's flows the way ovs-ofctl dump-flows does.",
        discussion: "NAME: a deployed chain (live counters, flows added at run time included); FILE: the flows its configuration declares. Every line parses back with nfv-orch add-flow.")

    @Argument(help: "A deployed chain's name, or a chain file.")
    var chain: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        if FileManager.default.fileExists(atPath: chain) {
            let (flows, ports, _) = try configuredFlows(try loadChain(chain, daemon: daemon))
            for flow in flows { print(FlowSyntax.format(flow, ports: ports)) }
            return
        }
        do {
            print(try daemon.client.get(OrchestratorServer.Message.self, "/v1/chains/\(chain)/flows").message)
        } catch {
            throw fail(error)
        }
    }
}

struct AddFlow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-flow",
        abstract: "Add a flow to a running chain's switch (ovs-ofctl add-flow syntax).",
        discussion: "A flow with the same table, priority and match is replaced. The change is live only: a restart or the next deploy returns to the flows of the chain's SwitchConfig, which is where lasting flows belong.")

    @Argument(help: "The deployed chain's name.")
    var chain: String

    @Argument(help: "The flow, e.g. \"priority=100,tcp,tp_dst=23,actions=drop\".")
    var flow: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        do { _ = try FlowSyntax.parse(flow) } catch let error as FlowSyntax.SyntaxError where !error.description.contains("no such port") {
            printError("nfv-orch: add-flow: \(error)")
            throw ExitCode.failure
        } catch {}
        do {
            print(try daemon.client.post(OrchestratorServer.Message.self, "/v1/chains/\(chain)/flows",
                                         OrchestratorServer.FlowChange(add: flow)).message)
        } catch {
            throw fail(error)
        }
    }
}

struct DelFlows: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del-flows",
        abstract: "Delete a running chain's switch flows that match (all without a match).",
        discussion: "Like ovs-ofctl del-flows without --strict: a flow goes when it pins every field the match names to the same value. Live only, as add-flow.")

    @Argument(help: "The deployed chain's name.")
    var chain: String

    @Argument(help: "A match, e.g. \"tcp,tp_dst=23\" (none: every flow).")
    var match: String?

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        do {
            print(try daemon.client.post(OrchestratorServer.Message.self, "/v1/chains/\(chain)/flows",
                                         OrchestratorServer.FlowChange(delete: match ?? "")).message)
        } catch {
            throw fail(error)
        }
    }
}

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which flows a packet would hit in a chain's switch (or path classifier) and what comes out (like ofproto/trace).",
        discussion: "The packet is described with match fields: in_port=a,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80. Traces the flows of the chain's configuration (for a deployed chain, the files it was deployed from).")

    @Argument(help: "A deployed chain's name, or a chain file.")
    var chain: String

    @Argument(help: "The packet, as match fields.")
    var packet: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let (flows, ports, paths) = try configuredFlows(try loadChain(chain, daemon: daemon))
        do {
            for line in try FlowTracer.trace(packet, flows: flows, ports: ports) {
                print(line)
                // A service path: name the stages the packet would pass, in order.
                if let range = line.range(of: "through service path "), let stages = paths[String(line[range.upperBound...])] {
                    print("  stages: " + stages.joined(separator: " -> "))
                }
            }
        } catch {
            printError("nfv-orch: trace: \(error)")
            throw ExitCode.failure
        }
    }
}
