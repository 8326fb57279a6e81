import ArgumentParser
import NFVCatalog

/// The `nfv-orch` command: validates, plans, deploys and inspects service chains; the
/// daemon-backed commands talk to `nfv-orch serve` over its unix socket.
@main
struct NFVOrch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nfv-orch",
        abstract: "Deploy, update and inspect service chains; validate them and replay captures through them.",
        discussion: """
            Chains are described in YAML (kind: Chain, apiVersion: nfv/v1): ports, then stages \
            run in order. Every chain parses frames at ingress in a stage called "parse".
            """,
        version: "nfv-orch " + PlatformVersion.current,
        subcommands: [
            Validate.self, Plan.self, Deploy.self, Undeploy.self, Restart.self, Migrate.self, List.self, Status.self, Stats.self,
            Events.self, Logs.self, Conntrack.self, NATMappings.self, Graph.self, Flows.self, AddFlow.self, DelFlows.self, Trace.self,
            Snapshot.self, Restore.self, Clone.self, Replay.self, Import.self, Daemon.self, Serve.self,
        ]
    )
}
