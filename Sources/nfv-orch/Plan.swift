import ArgumentParser
import NFVOrchestrator

func printPlan(_ plan: DeploymentPlan) {
    let mark: String =
        switch plan.action {
        case .create: "+"
        case .unchanged: "="
        case .updateInPlace: "~"
        case .updateWithMigration: ">"
        case .updateWithRestart: "!"
        case .delete: "-"
        }
    print("chain \(plan.chain): \(plan.action.rawValue)")
    for change in plan.changes { print("  \(mark) \(change)") }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what deploying a chain file would do, without doing it.",
        discussion: """
            Compares the file with the deployed chain of the same metadata.name: create, unchanged, \
            update-in-place (applied to the running data plane between two batches, nothing lost: \
            firewall rules and default actions, router static routes, load-balancer backends, NAT \
            source rules and forwards, the restart policy), update-with-migration (the chain's \
            resources: CPUs, CPU set, memory; a new data plane under the new limits takes the running \
            one's TAP queues and connections over, as nfv-orch migrate does; a chain with container ports restarts instead), update-with-restart (ports, workers, the flow cache size, \
            paths, stages, table sizes and timeouts, a firewall's stateful setting, router \
            interfaces, load-balancer services, the NAT pool, switch configurations: deploy needs \
            --allow-restart) or delete. Each change line says how it is applied. Asks the daemon \
            when one runs, otherwise reads the persisted state. Exit 0: no change; 2: changes; 1: error.
            """,
        aliases: ["diff"])

    @Argument(help: "The chain descriptor (YAML).")
    var file: String

    @Option(
        help: ArgumentHelp(
            "For a chain across hosts (spec.hosts): this host's name; its half is what is deployed here (its stages, and VXLAN ports toward the hosts before and after it).",
            valueName: "name"))
    var host: String?

    @OptionGroup var format: OutputOptions
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let snapshot = try readSnapshot(file, host: host)
        let plan: DeploymentPlan
        do {
            plan = try daemon.client.post(DeploymentPlan.self, "/v1/plan", snapshot)
        } catch .notRunning {
            do {
                let supervisor = Supervisor(
                    paths: daemon.paths, store: try StateStore(path: daemon.paths.databasePath),
                    dataplane: DaemonOptions.dataplane)
                plan = try supervisor.plan(snapshot)
            } catch {
                printError("nfv-orch: \(error)")
                throw ExitCode.failure
            }
        } catch {
            throw fail(error)
        }
        if try !format.printStructured(plan) { printPlan(plan) }
        throw ExitCode(plan.exitCode)
    }
}
