import ArgumentParser
import Foundation
import NFVCatalog
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
