import ArgumentParser
import NFVOrchestrator

struct Deploy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy a chain, or apply the changes of a deployed one (idempotent).",
        discussion: """
            Validates the file and its VNF configurations, then hands them to the daemon (started \
            if none runs). Deploying the same file again changes nothing and says "unchanged". \
            What nfv-orch plan calls update-in-place (firewall rules, router routes, load-balancer \
            backends, NAT source rules and forwards) is applied to the running chain without a \
            restart, keeping connections and mappings; a change of spec.resources (update-with-migration) \
            moves the chain to a new data plane under the new limits, keeping them too; changes that need a restart are refused \
            unless --allow-restart is given. The daemon runs the chain from a copy of the files \
            taken now. Several files deploy one after the other (a failure does not stop the \
            others; the exit status is 1 if any failed); --dry-run prints the plans instead.
            """)

    @Argument(help: "Chain descriptors (YAML), deployed in order; every file is validated first.")
    var files: [String]

    @Flag(help: "Wait until the chain forwards (at most 15 s).")
    var wait = false

    @Flag(help: "Apply changes that need a restart of the chain's data plane (traffic stops meanwhile).")
    var allowRestart = false

    @Flag(help: "Say what deploy would do (as nfv-orch plan does) and change nothing.")
    var dryRun = false

    @Option(
        help: ArgumentHelp(
            "For a chain across hosts (spec.hosts): this host's name; its half is what is deployed here (its stages, and VXLAN ports toward the hosts before and after it).",
            valueName: "name"))
    var host: String?

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        // Every file must be valid before anything is deployed.
        var snapshots: [ChainSnapshot] = []
        var invalid = false
        for file in files {
            do { snapshots.append(try readSnapshot(file, host: host)) } catch { invalid = true }
        }
        if invalid { throw ExitCode.failure }
        var failed = false
        for snapshot in snapshots {
            do {
                try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
                if dryRun {
                    printPlan(try daemon.client.post(DeploymentPlan.self, "/v1/plan", snapshot))
                    continue
                }
                let result = try daemon.client.post(
                    Supervisor.DeployResult.self, "/v1/deploy",
                    OrchestratorServer.DeployRequest(snapshot: snapshot, allowRestart: allowRestart, wait: wait),
                    timeoutSeconds: 120)
                print("chain \(snapshot.name): \(result.outcome)" + (result.outcome == "unchanged" ? "" : " (generation \(result.generation))"))
                for change in result.plan.changes where result.outcome != "unchanged" { print("  \(change)") }
            } catch {
                printError("nfv-orch: chain \(snapshot.name): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
