import ArgumentParser
import Foundation
import NFVOrchestrator
import NFVPipeline

struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a running chain's files and runtime state to a file (nfv-snapshot).",
        discussion: """
            The file holds the chain's descriptors as deployed and its data plane's runtime state \
            (docs/snapshot.md: each worker's tracked connections and NAT mappings), as JSON. \
            nfv-orch restore FILE deploys the chain again from it; connections opened before the \
            snapshot keep passing. The chain goes on running.
            """)

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @Option(name: [.short, .customLong("output")], help: "The file to write (- for standard output).")
    var output: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let name = try chainName(chain, command: "snapshot")
        let document: SnapshotDocument
        do {
            let files = try daemon.client.get(ChainSnapshot.self, "/v1/chains/\(name)/snapshot")
            let state = try daemon.client.get(ChainState.self, "/v1/chains/\(name)/state")
            document = SnapshotDocument(snapshot: files, state: state)
        } catch {
            throw fail(error)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(document)
        if output == "-" {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
            return
        }
        do { try data.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
            printError("nfv-orch: snapshot: cannot write \(output): \(error.localizedDescription)")
            throw ExitCode.failure
        }
        let entries = document.state.workers.joined().reduce(0) { $0 + $1.entryCount }
        print("chain \(name): snapshot written to \(output) (\(document.snapshot.files.count) files, \(entries) state entries)")
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy a chain from a snapshot file, with its runtime state.",
        discussion: """
            The chain (which must not be deployed: undeploy it first) is deployed from the \
            snapshot's files, and its data plane takes the snapshot's state before it forwards: \
            tracked connections and NAT mappings (the same outside ports) carry on. A state the \
            data plane cannot take (a full table, a port taken) fails the start, with the reason.
            """)

    @Argument(help: "A file nfv-orch snapshot wrote.")
    var file: String

    @OptionGroup var copy: CopyOptions

    @Flag(help: "Return once the data plane forwards (at most 15 s).")
    var wait = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let document: SnapshotDocument
        do {
            document = try SnapshotDocument.read(try Data(contentsOf: URL(fileURLWithPath: file)), file: file)
        } catch {
            printError("nfv-orch: restore: \(error)")
            throw ExitCode.failure
        }
        try copy.deploy(
            document.snapshot, state: document.state, wait: wait, daemon: daemon, what: "restored from \(file), taken \(document.takenAt)")
    }
}

struct Clone: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy a copy of a running chain, with its runtime state, under another name.",
        discussion: """
            The copy has the chain's stages and configurations and starts with its tracked \
            connections and NAT mappings. A TAP belongs to one chain, so while the original runs \
            the copy needs ports of its own: --port PORT=IFNAME[@NAMESPACE] gives a port another \
            TAP device (and namespace). The original goes on running.
            """)

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @OptionGroup var copy: CopyOptions

    @Flag(help: "Return once the copy's data plane forwards (at most 15 s).")
    var wait = false

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        guard copy.newName != nil else { throw ValidationError("clone needs --as NEW: the copy's name") }
    }

    func run() throws {
        let name = try chainName(chain, command: "clone")
        let files: ChainSnapshot
        let state: ChainState
        do {
            files = try daemon.client.get(ChainSnapshot.self, "/v1/chains/\(name)/snapshot")
            state = try daemon.client.get(ChainState.self, "/v1/chains/\(name)/state")
        } catch {
            throw fail(error)
        }
        try copy.deploy(files, state: state, wait: wait, daemon: daemon, what: "cloned from \(name)")
    }
}

/// `--as NEW` and `--port PORT=IFNAME[@NAMESPACE]`, shared by restore and clone.
struct CopyOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp("Deploy it as chain NEW.", valueName: "new"))
    var newName: String?

    @Option(
        name: .customLong("port"),
        help: ArgumentHelp(
            "Give port PORT the TAP device IFNAME (and namespace NAMESPACE) (repeatable).", valueName: "port=ifname[@namespace]"))
    var ports: [String] = []

    func validate() throws {
        for port in ports where ChainSnapshot.PortRename(port) == nil {
            throw ValidationError("--port \(port): expected PORT=IFNAME or PORT=IFNAME@NAMESPACE")
        }
        if !ports.isEmpty && newName == nil { throw ValidationError("--port renames the ports of a copy: add --as NEW") }
    }

    /// Deploys `snapshot` with `state`, renamed when asked, and says what happened.
    func deploy(_ snapshot: ChainSnapshot, state: ChainState, wait: Bool, daemon: DaemonOptions, what: String) throws {
        var snapshot = snapshot
        var state = state
        if let newName {
            do { snapshot = try snapshot.renamed(to: newName, ports: ports.compactMap(ChainSnapshot.PortRename.init)) } catch {
                printError("nfv-orch: \(error)")
                throw ExitCode.failure
            }
            state.chain = newName
        }
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let result = try daemon.client.post(
                Supervisor.DeployResult.self, "/v1/restore", OrchestratorServer.RestoreRequest(snapshot: snapshot, state: state, wait: wait),
                timeoutSeconds: 60)
            print("chain \(snapshot.name): \(what) (\(result.outcome), generation \(result.generation))")
        } catch {
            throw fail(error)
        }
    }
}
