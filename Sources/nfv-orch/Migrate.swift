import ArgumentParser
import NFVOrchestrator

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a running chain to a new data-plane process without losing its connections.",
        discussion: """
            A new data plane (the nfv-dataplane binary as installed now: this is how an upgrade \
            of it takes effect) takes the running one's TAP queues and runtime state over \
            (tracked connections, NAT mappings, load-balancer connections, learnt stations, router \
            neighbours): the running one passes its queues and forwards on while the new one \
            builds its workers, then stops with nothing in flight; the new one holds what arrives \
            while it takes the state in, processes that first and forwards; the old one ends. Prints the pause (from the old \
            one stopping to the last held frame leaving), the frames held and the state moved. \
            A move that fails leaves the old data plane forwarding, with the reason. The chain's \
            deployed files, workers and ports stay as they are (a change of them is a deploy).
            """)

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let name = try chainName(chain, command: "migrate")
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let answer = try daemon.client.post(
                OrchestratorServer.Message.self, "/v1/chains/\(name)/migrate", OrchestratorServer.Empty(), timeoutSeconds: 60)
            print(answer.message)
        } catch {
            throw fail(error)
        }
    }
}
