import ArgumentParser

/// The `nfv-orch` command: deploys and inspects service chains. This build has the offline
/// commands (`validate`, `replay`); the daemon-backed ones arrive with the orchestrator.
@main
struct NFVOrch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nfv-orch",
        abstract: "Validate service chains and replay captures through them.",
        discussion: """
            Chains are described in YAML (kind: Chain, apiVersion: nfv/v1): ports, then stages \
            run in order. Every chain parses frames at ingress in a stage called "parse".
            """,
        subcommands: [Validate.self, Replay.self]
    )
}
