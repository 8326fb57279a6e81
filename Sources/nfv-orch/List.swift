import ArgumentParser
import NFVOrchestrator

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List deployed chains.")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let chains = try daemon.client.get([Supervisor.ChainStatus].self, "/v1/chains")
            let rows =
                [["NAME", "PHASE", "RUNNING", "GEN", "RESTARTS", "STAGES"]]
                + chains.map {
                    [
                        $0.name, $0.phase + ($0.restartInSeconds.map { String(format: " (in %.1fs)", $0) } ?? ""), $0.running ? "yes" : "no",
                        "\($0.generation)", "\($0.restarts)",
                        $0.stages.joined(separator: " -> "),
                    ]
                }
            printTable(rows)
        } catch {
            throw fail(error)
        }
    }
}
