import ArgumentParser
import NFVOrchestrator

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restart a deployed chain's data plane from the files it was deployed from.",
        discussion:
            "Stops the data plane (which removes its TAPs; traffic stops meanwhile) and starts it again from the deployed generation, waiting until it forwards. Connection state, NAT mappings and flows edited at run time start afresh. A chain in crash-loop or exited starts again; its restart count is kept."
    )

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let name = try chainName(chain, command: "restart")
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let answer = try daemon.client.post(
                OrchestratorServer.Message.self, "/v1/chains/\(name)/restart", OrchestratorServer.Empty(), timeoutSeconds: 60)
            print(answer.message)
        } catch {
            throw fail(error)
        }
    }
}
