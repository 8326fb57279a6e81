import ArgumentParser
import NFVOrchestrator

struct DelFlows: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del-flows",
        abstract: "Delete a running chain's switch flows that match (all without a match).",
        discussion:
            "Like ovs-ofctl del-flows without --strict: a flow goes when it pins every field the match names to the same value. Live only, as add-flow."
    )

    @Argument(help: "The deployed chain's name.")
    var chain: String

    @Argument(help: "A match, e.g. \"tcp,tp_dst=23\" (none: every flow).")
    var match: String?

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            print(
                try daemon.client.post(
                    OrchestratorServer.Message.self, "/v1/chains/\(chain)/flows",
                    OrchestratorServer.FlowChange(delete: match ?? "")
                ).message)
        } catch {
            throw fail(error)
        }
    }
}
