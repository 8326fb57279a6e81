import ArgumentParser
import NFVOrchestrator
import NFVSwitch

struct AddFlow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-flow",
        abstract: "Add a flow to a running chain's switch (ovs-ofctl add-flow syntax).",
        discussion:
            "A flow with the same table, priority and match is replaced. The change is live only: a restart or the next deploy returns to the flows of the chain's SwitchConfig, which is where lasting flows belong."
    )

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
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            print(
                try daemon.client.post(
                    OrchestratorServer.Message.self, "/v1/chains/\(chain)/flows",
                    OrchestratorServer.FlowChange(add: flow)
                ).message)
        } catch {
            throw fail(error)
        }
    }
}
