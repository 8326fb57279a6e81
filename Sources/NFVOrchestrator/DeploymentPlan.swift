import NFVCatalog
import NFVDescriptors

/// What deploying a chain would do, decided from the running chain and the new one alone
/// (pure: `plan`, `diff` and `deploy` all use it).
///
/// - `create`: nothing of that name runs;
/// - `unchanged`: the new files mean the same chain (comments and layout do not count);
/// - `update-in-place`: only changes the running data plane applies between two batches
///   (firewall rules, router routes, load-balancer backends, NAT source rules and forwards),
///   without losing a packet or a connection;
/// - `update-with-migration`: the data plane's resources (CPU, CPU set, memory) changed: a new
///   data plane under the new limits takes the queues and the state over (`nfv-orch migrate`),
///   so connections carry on; other changes in the same deploy apply with it;
/// - `update-with-restart`: something that is plumbed or sized at start changed (ports,
///   stages, table sizes, router interfaces, LB services, the NAT pool): applied only with
///   `--allow-restart`;
/// - `delete`: undeploy.
public struct DeploymentPlan: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case create
        case unchanged
        case updateInPlace = "update-in-place"
        case updateWithMigration = "update-with-migration"
        case updateWithRestart = "update-with-restart"
        case delete
    }

    public var chain: String
    public var action: Action
    /// One line per change, saying what and how it is applied.
    public var changes: [String]

    /// `plan`/`diff` exit status: 0 no change, 2 changes.
    public var exitCode: Int32 { action == .unchanged ? 0 : 2 }

    public init(chain: String, action: Action, changes: [String]) {
        self.chain = chain
        self.action = action
        self.changes = changes
    }

    /// The plan for turning `current` (nil: not deployed) into `desired` (nil: undeploy).
    public static func make(desired: LoadedChain?, current: LoadedChain?) -> DeploymentPlan {
        guard let desired else {
            guard let current else { return DeploymentPlan(chain: "", action: .unchanged, changes: []) }
            return DeploymentPlan(
                chain: current.descriptor.name, action: .delete,
                changes: ["delete chain \(current.descriptor.name) (\(describe(current)))"])
        }
        let name = desired.descriptor.name
        guard let current else {
            return DeploymentPlan(chain: name, action: .create, changes: ["create chain \(name) (\(describe(desired)))"])
        }
        // What restarts and what applies live is decided in one place, which the running
        // data plane's reload also follows; the restart policy is the daemon's own.
        let changes = ChainChanges.between(current, desired)
        var live: [String] = []
        if current.descriptor.restart != desired.descriptor.restart {
            let before = current.descriptor.restart
            let after = desired.descriptor.restart
            live.append(
                "restart policy: \(before.mode.rawValue), limit \(before.limit) -> \(after.mode.rawValue), limit \(after.limit) "
                    + "(the daemon's own setting, applied at once)")
        }
        live += changes.live.map(\.description)
        let restart = changes.restart
        if !restart.isEmpty { return DeploymentPlan(chain: name, action: .updateWithRestart, changes: restart + changes.handover + live) }
        if !changes.handover.isEmpty { return DeploymentPlan(chain: name, action: .updateWithMigration, changes: changes.handover + live) }
        if !live.isEmpty { return DeploymentPlan(chain: name, action: .updateInPlace, changes: live) }
        return DeploymentPlan(chain: name, action: .unchanged, changes: [])
    }

    static func describe(_ chain: LoadedChain) -> String {
        "ports " + chain.descriptor.ports.map(\.name).joined(separator: ", ") + "; stages "
            + (chain.descriptor.stages.isEmpty ? "none" : chain.descriptor.stages.map(\.name).joined(separator: " -> "))
    }
}
