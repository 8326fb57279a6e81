import ArgumentParser
import Foundation
import NFVOrchestrator

struct Undeploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a chain and remove everything it created.",
        discussion:
            "NAME is the chain's metadata.name, or a chain file naming it. --force always succeeds: it kills a data plane that does not stop, removes namespaces a killed one left, and forgets the chain whatever its state."
    )

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @Flag(help: "Succeed whatever the chain's state.")
    var force = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let name = try chainName(chain, command: "undeploy")
        do {
            try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
            let answer = try daemon.client.post(
                OrchestratorServer.Message.self, "/v1/undeploy",
                OrchestratorServer.UndeployRequest(name: name, force: force), timeoutSeconds: 60)
            print(answer.message)
        } catch {
            throw fail(error)
        }
    }
}
