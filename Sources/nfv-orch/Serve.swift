import ArgumentParser
import Foundation
import NFVOrchestrator

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
        // The state (every chain's rules, the event log) and what the daemon writes is root's
        // alone: files 0600, directories 0700.
        umask(0o077)
        let paths = daemon.paths
        if daemon.client.isDaemonRunning {
            printError("nfv-orch: a daemon already answers on \(paths.socketPath)")
            throw ExitCode.failure
        }
        let store: StateStore
        do { store = try StateStore(path: paths.databasePath) } catch let error as StateStore.UnusableState {
            printError("nfv-orch: \(error)")
            throw ExitCode.failure
        }
        let supervisor = Supervisor(paths: paths, store: store, dataplane: DaemonOptions.dataplane)
        let pidFile = paths.stateDirectory + "/daemon.pid"
        try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        print("nfv-orch: serving on \(paths.socketPath), state in \(paths.stateDirectory) (pid \(getpid()) in \(pidFile))")
        try await OrchestratorServer.run(supervisor: supervisor)
    }
}
