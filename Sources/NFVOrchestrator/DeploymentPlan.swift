import NFVDescriptors
import NFVFirewall
import NFVLoadBalancer
import NFVNAT
import NFVPacket
import NFVRouter
import NFVReplay

/// What deploying a chain would do, decided from the running chain and the new one alone
/// (pure: `plan`, `diff` and `deploy` all use it).
///
/// - `create`: nothing of that name runs;
/// - `unchanged`: the new files mean the same chain (comments and layout do not count);
/// - `update-in-place`: only changes the running data plane applies between two batches
///   (firewall rules, router routes, load-balancer backends, NAT source rules and forwards),
///   without losing a packet or a connection;
/// - `update-with-restart`: something that is plumbed or sized at start changed (ports,
///   stages, table sizes, router interfaces, LB services, the NAT pool): applied only with
///   `--allow-restart`;
/// - `delete`: undeploy.
public struct DeploymentPlan: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case create
        case unchanged
        case updateInPlace = "update-in-place"
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
            return DeploymentPlan(chain: current.descriptor.name, action: .delete,
                                  changes: ["delete chain \(current.descriptor.name) (\(describe(current)))"])
        }
        let name = desired.descriptor.name
        guard let current else {
            return DeploymentPlan(chain: name, action: .create, changes: ["create chain \(name) (\(describe(desired)))"])
        }
        var restart: [String] = []
        var live: [String] = []
        let oldPorts = current.descriptor.ports
        let newPorts = desired.descriptor.ports
        for port in newPorts {
            guard let old = oldPorts.first(where: { $0.name == port.name }) else {
                restart.append("port \(port.name): added (restart: ports are plumbed at start)")
                continue
            }
            if !old.hasSameSettings(as: port) {
                restart.append("port \(port.name): \(portSummary(old)) -> \(portSummary(port)) (restart)")
            }
        }
        for port in oldPorts where !newPorts.contains(where: { $0.name == port.name }) {
            restart.append("port \(port.name): removed (restart)")
        }
        if newPorts.map(\.name) != oldPorts.map(\.name), restart.isEmpty {
            restart.append("ports reordered: \(oldPorts.map(\.name).joined(separator: ", ")) -> "
                           + "\(newPorts.map(\.name).joined(separator: ", ")) (restart)")
        }
        if current.descriptor.workers != desired.descriptor.workers {
            restart.append("workers: \(current.descriptor.workers.map(String.init) ?? "from the ports") -> "
                           + "\(desired.descriptor.workers.map(String.init) ?? "from the ports") (restart: queues are opened at start)")
        }
        if current.descriptor.paths.count != desired.descriptor.paths.count
            || zip(current.descriptor.paths, desired.descriptor.paths).contains(where: { !$0.hasSameSettings(as: $1) })
            || current.descriptor.unmatched != desired.descriptor.unmatched {
            restart.append("paths: " + (current.descriptor.paths.map(\.name).joined(separator: ", ")) + " -> "
                           + desired.descriptor.paths.map(\.name).joined(separator: ", ") + " (restart: the path classifier is built at start)")
        }
        if current.descriptor.restart != desired.descriptor.restart {
            let before = current.descriptor.restart
            let after = desired.descriptor.restart
            live.append("restart policy: \(before.mode.rawValue), limit \(before.limit) -> \(after.mode.rawValue), limit \(after.limit) "
                        + "(the daemon's own setting, applied at once)")
        }
        let oldStages = current.descriptor.stages.map { "\($0.name) (\($0.vnf))" }
        let newStages = desired.descriptor.stages.map { "\($0.name) (\($0.vnf))" }
        if oldStages != newStages {
            restart.append("stages: \(oldStages.joined(separator: " -> ")) => \(newStages.joined(separator: " -> ")) (restart)")
        } else {
            let updates = StageUpdates.between(current, desired)
            for change in updates.restart { restart.append("stage \(change.stage) (\(change.vnf)): \(change.reason) (restart)") }
            for (stage, update) in updates.live {
                switch update {
                case .firewall(let before, let after):
                    live.append("stage \(stage) (firewall): \(firewallChange(before, after)) (applied live, connections kept)")
                case .router(let before, let after):
                    live.append("stage \(stage) (router): \(routeChange(before, after)) (applied live, neighbours kept)")
                case .loadBalancer(let before, let after):
                    live.append("stage \(stage) (load-balancer): \(backendChange(before, after)) (applied live, flows keep their backend)")
                case .nat(let before, let after):
                    live.append("stage \(stage) (nat): \(natChange(before, after)) (applied live, mappings kept)")
                }
            }
        }
        if !restart.isEmpty { return DeploymentPlan(chain: name, action: .updateWithRestart, changes: restart + live) }
        if !live.isEmpty { return DeploymentPlan(chain: name, action: .updateInPlace, changes: live) }
        return DeploymentPlan(chain: name, action: .unchanged, changes: [])
    }

    static func describe(_ chain: LoadedChain) -> String {
        "ports " + chain.descriptor.ports.map(\.name).joined(separator: ", ") + "; stages "
            + (chain.descriptor.stages.isEmpty ? "none" : chain.descriptor.stages.map(\.name).joined(separator: " -> "))
    }

    static func portSummary(_ port: PortDescriptor) -> String {
        guard let tap = port.tap else { return port.kind.rawValue }
        var parts = ["tap \(tap.interfaceName)"]
        if let namespace = tap.namespace { parts.append("netns \(namespace)") }
        if let address = tap.address { parts.append(address) }
        if let gateway = tap.gateway { parts.append("via \(gateway)") }
        parts.append("mtu \(tap.mtu)")
        if tap.queues > 1 { parts.append("\(tap.queues) queues") }
        return parts.joined(separator: " ")
    }

    /// Which source rules and forwards were added, removed or changed, by name.
    static func natChange(_ old: NATConfiguration, _ new: NATConfiguration) -> String {
        var parts: [String] = []
        for (what, before, after) in [("source rules", old.sourceRules.map(\.name), new.sourceRules.map(\.name)),
                                      ("forwards", old.forwards.map(\.name), new.forwards.map(\.name))] {
            let added = after.filter { !before.contains($0) }
            let removed = before.filter { !after.contains($0) }
            if !added.isEmpty { parts.append("\(what) added: " + added.joined(separator: ", ")) }
            if !removed.isEmpty { parts.append("\(what) removed: " + removed.joined(separator: ", ")) }
        }
        let changedRules = new.sourceRules.filter { rule in old.sourceRules.contains { $0.name == rule.name && $0 != rule } }.map(\.name)
        let changedForwards = new.forwards.filter { forward in old.forwards.contains { $0.name == forward.name && $0 != forward } }.map(\.name)
        if !(changedRules + changedForwards).isEmpty { parts.append("changed: " + (changedRules + changedForwards).joined(separator: ", ")) }
        return parts.isEmpty ? "rules reordered" : parts.joined(separator: "; ")
    }

    /// Which backends were added, removed or changed, by service and name.
    static func backendChange(_ old: LoadBalancerConfiguration, _ new: LoadBalancerConfiguration) -> String {
        var parts: [String] = []
        for (before, after) in zip(old.services, new.services) {
            let oldNames = before.backends.map(\.name)
            let newNames = after.backends.map(\.name)
            let added = newNames.filter { !oldNames.contains($0) }
            let removed = oldNames.filter { !newNames.contains($0) }
            let changed = after.backends.filter { backend in before.backends.contains { $0.name == backend.name && $0 != backend } }.map(\.name)
            if !added.isEmpty { parts.append("\(after.name): backends added: " + added.joined(separator: ", ")) }
            if !removed.isEmpty { parts.append("\(after.name): backends removed: " + removed.joined(separator: ", ")) }
            if !changed.isEmpty { parts.append("\(after.name): backends changed: " + changed.joined(separator: ", ")) }
        }
        return parts.isEmpty ? "backends reordered" : parts.joined(separator: "; ")
    }

    /// Which static routes were added or removed, by destination.
    static func routeChange(_ old: RouterConfiguration, _ new: RouterConfiguration) -> String {
        func text(_ route: RouterRoute) -> String {
            "\(route.destination)" + (route.gateway.map { " via " + ($0.ipv4Mapped.map { "\($0)" } ?? "\($0)") } ?? "") + (route.interface.map { " dev \($0)" } ?? "")
        }
        let before = old.routes.map(text)
        let after = new.routes.map(text)
        var parts: [String] = []
        let added = after.filter { !before.contains($0) }
        let removed = before.filter { !after.contains($0) }
        if !added.isEmpty { parts.append("routes added: " + added.joined(separator: ", ")) }
        if !removed.isEmpty { parts.append("routes removed: " + removed.joined(separator: ", ")) }
        return parts.isEmpty ? "routes reordered" : parts.joined(separator: "; ")
    }

    /// Which rules were added, removed or changed, by name.
    static func firewallChange(_ old: FirewallConfiguration, _ new: FirewallConfiguration) -> String {
        let oldNames = old.rules.map(\.name)
        let newNames = new.rules.map(\.name)
        var parts: [String] = []
        let added = newNames.filter { !oldNames.contains($0) }
        let removed = oldNames.filter { !newNames.contains($0) }
        let changed = new.rules.filter { rule in old.rules.contains { $0.name == rule.name && $0 != rule } }.map(\.name)
        if !added.isEmpty { parts.append("rules added: " + added.joined(separator: ", ")) }
        if !removed.isEmpty { parts.append("rules removed: " + removed.joined(separator: ", ")) }
        if !changed.isEmpty { parts.append("rules changed: " + changed.joined(separator: ", ")) }
        if added.isEmpty, removed.isEmpty, changed.isEmpty, oldNames != newNames { parts.append("rules reordered") }
        if old.defaultAction != new.defaultAction { parts.append("default action changed") }
        if old.name != new.name { parts.append("renamed \(old.name) -> \(new.name)") }
        return parts.isEmpty ? "configuration changed" : parts.joined(separator: "; ")
    }
}

