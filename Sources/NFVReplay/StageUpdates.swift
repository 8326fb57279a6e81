import NFVFirewall
import NFVLoadBalancer
import NFVNAT
import NFVRouter

/// How each stage's configuration differs between two versions of a chain with the same
/// stages, and whether the running stage can take the new one: the one place that decides
/// what changes live (`DeploymentPlan` says it, `LiveChain.reload` does it).
public struct StageUpdates: Sendable {
    /// A new configuration a running stage takes between two batches.
    public enum Update: Sendable {
        case firewall(before: FirewallConfiguration, after: FirewallConfiguration)
        case router(before: RouterConfiguration, after: RouterConfiguration)
        case loadBalancer(before: LoadBalancerConfiguration, after: LoadBalancerConfiguration)
        case nat(before: NATConfiguration, after: NATConfiguration)
    }

    /// Changed stages whose running instance takes the new configuration.
    public var live: [(stage: String, update: Update)] = []
    /// Changed stages that need a new instance (a restart), with the reason.
    public var restart: [(stage: String, vnf: String, reason: String)] = []

    /// The differences from `old` to `new` (whose stage lists are the same).
    public static func between(_ old: LoadedChain, _ new: LoadedChain) -> StageUpdates {
        var result = StageUpdates()
        for stage in new.descriptor.stages {
            let name = stage.name
            func decide(_ problem: String?, _ update: Update) {
                if let problem { result.restart.append((name, stage.vnf, problem)) } else { result.live.append((name, update)) }
            }
            switch stage.vnf {
            case "firewall":
                guard let before = old.firewalls[name], let after = new.firewalls[name], before != after else { continue }
                decide(FirewallStage.liveUpdateProblem(from: before, to: after), .firewall(before: before, after: after))
            case "router":
                guard let before = old.routers[name], let after = new.routers[name], before != after else { continue }
                decide(RouterStage.liveUpdateProblem(from: before, to: after), .router(before: before, after: after))
            case "load-balancer":
                guard let before = old.loadBalancers[name], let after = new.loadBalancers[name], before != after else { continue }
                decide(LoadBalancerStage.liveUpdateProblem(from: before, to: after), .loadBalancer(before: before, after: after))
            case "nat":
                guard let before = old.nats[name], let after = new.nats[name], before != after else { continue }
                decide(NATStage.liveUpdateProblem(from: before, to: after), .nat(before: before, after: after))
            case "switch" where old.switches[name] != new.switches[name]:
                result.restart.append((name, stage.vnf, "its flows and ports cannot be updated live yet"))
            default:
                continue
            }
        }
        return result
    }
}
