import ArgumentParser
import Foundation
import NFVCatalog
import NFVDescriptors
import NFVOrchestrator

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

/// For read-only commands, which never start a daemon: when none runs, a supervisor over the
/// recorded state (it reads the store and asks data planes directly, and supervises nothing),
/// after saying so on standard error; nil when nothing was ever recorded.
func offlineSupervisor(_ daemon: DaemonOptions) throws -> Supervisor? {
    let paths = daemon.paths
    guard FileManager.default.fileExists(atPath: paths.databasePath) else {
        if access(paths.stateDirectory, R_OK | X_OK) != 0, FileManager.default.fileExists(atPath: paths.stateDirectory) {
            printError("nfv-orch: cannot read the orchestrator's state in \(paths.stateDirectory): permission denied (run as root)")
            throw ExitCode.failure
        }
        return nil
    }
    do {
        let store = try StateStore(path: paths.databasePath)
        printError(
            "nfv-orch: no daemon runs (nfv-orch daemon start, or any deploy, starts one); "
                + "showing the state recorded in \(paths.databasePath); nothing restarts failed data planes meanwhile")
        return Supervisor(paths: paths, store: store, dataplane: DaemonOptions.dataplane)
    } catch {
        printError("nfv-orch: \(error)")
        throw ExitCode.failure
    }
}

/// Reads a chain file (a chain across hosts: host `host`'s half), printing its errors
/// (file:line:column) and exiting 1 when it is invalid.
func readSnapshot(_ path: String, host: String? = nil) throws -> ChainSnapshot {
    do { return try ChainSnapshot.read(path: path, host: host) } catch {
        printError(error.errors.map(\.description).joined(separator: "\n"))
        throw ExitCode.failure
    }
}

func fail(_ error: OrchestratorClient.ClientError) -> ExitCode {
    printError("nfv-orch: \(error)")
    return ExitCode.failure
}

/// Loads a chain file, or the files a deployed chain was deployed from.
func loadChain(_ chain: String, daemon: DaemonOptions) throws -> LoadedChain {
    if FileManager.default.fileExists(atPath: chain) {
        do { return try LoadedChain.load(path: chain) } catch {
            printError(error.errors.map(\.description).joined(separator: "\n"))
            throw ExitCode.failure
        }
    }
    if let problem = missingChainFile(chain) {
        printError("nfv-orch: \(problem)")
        throw ExitCode.failure
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

/// The deployed chain's name that `argument` gives: the name itself, or a chain file's
/// `metadata.name` (as undeploy, restart, status and stats accept either).
func chainName(_ argument: String, command: String) throws -> String {
    if FileManager.default.fileExists(atPath: argument) {
        guard let loaded = try? LoadedChain.load(path: argument) else {
            printError(
                "nfv-orch: \(argument) is not a valid chain file (see nfv-orch validate \(argument)); \(command) by name instead")
            throw ExitCode.failure
        }
        return loaded.descriptor.name
    }
    if let problem = missingChainFile(argument) {
        printError("nfv-orch: \(problem)")
        throw ExitCode.failure
    }
    return argument
}

/// Why `argument`, which names no file, cannot be a deployed chain's name either: it looks
/// like a path (a `/` or a `.yaml`/`.yml` ending), so the user meant a file. Says which file
/// in that directory comes closest. Nil when it may be a chain name.
func missingChainFile(_ argument: String) -> String? {
    guard argument.contains("/") || argument.hasSuffix(".yaml") || argument.hasSuffix(".yml") else { return nil }
    let url = URL(fileURLWithPath: argument)
    let directory = url.deletingLastPathComponent().path
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let chains = files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
    var message = "\(argument): no such chain file"
    if let closest = Suggestion.closest(to: url.lastPathComponent, in: chains) {
        let prefix = argument.contains("/") ? String(argument[..<argument.index(after: argument.lastIndex(of: "/")!)]) : ""
        message += "; did you mean \(prefix)\(closest)?"
    } else if !FileManager.default.fileExists(atPath: directory) {
        message += " (no directory \(directory))"
    }
    return message
}

/// Prints `text` and a newline with one write(2), so that each record reaches a pipe or a file
/// at once (`print` goes through stdio, which holds a pipe's output in 4 KiB blocks): what
/// `events --follow` and `stats --watch` print.
func printNow(_ text: String = "") {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
