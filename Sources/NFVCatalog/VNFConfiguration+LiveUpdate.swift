import NFVFirewall
import NFVLoadBalancer
import NFVNAT
import NFVPipeline
import NFVRouter
import NFVSwitch

/// Why a running stage could not take its new configuration.
public struct LiveUpdateError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension VNFConfiguration {
    /// Why a running stage with this configuration cannot take `new` between two batches (it
    /// needs a new stage, that is a restart), or nil when it can (an equal one always can).
    public func liveUpdateProblem(to new: VNFConfiguration) -> String? {
        guard self != new else { return nil }
        return switch (self, new) {
        case (.decrementTTL, .decrementTTL), (.passThrough, .passThrough): nil
        case (.firewall(let old), .firewall(let new)): FirewallStage.liveUpdateProblem(from: old, to: new)
        case (.router(let old), .router(let new)): RouterStage.liveUpdateProblem(from: old, to: new)
        case (.loadBalancer(let old), .loadBalancer(let new)): LoadBalancerStage.liveUpdateProblem(from: old, to: new)
        case (.nat(let old), .nat(let new)): NATStage.liveUpdateProblem(from: old, to: new)
        case (.switch, .switch): "its flows and ports cannot be updated live yet"
        case (.policer, .policer): "a policer's marker and actions cannot be updated live yet"
        default: "its kind changed"
        }
    }

    /// Gives the running `stage` (built from a configuration of the same kind) this one; the
    /// stage swaps it in before its next batch and keeps its state (connections, neighbours,
    /// flow affinity, mappings).
    public func apply(to stage: any Stage) throws(LiveUpdateError) {
        do {
            switch self {
            case .firewall(let configuration): try (stage as? FirewallStage)?.update(to: configuration)
            case .router(let configuration): try (stage as? RouterStage)?.update(to: configuration)
            case .nat(let configuration): try (stage as? NATStage)?.update(to: configuration)
            case .loadBalancer(let configuration):
                for service in configuration.services {
                    (stage as? LoadBalancerStage)?.replaceBackends(service.backends, service: service.name)
                }
            case .decrementTTL, .passThrough, .switch, .policer: break
            }
        } catch {
            throw LiveUpdateError("\(error)")
        }
    }

    /// A plan line's account of a change from this configuration to `new` that applies live:
    /// what changed, by name, and what the running stage keeps.
    public func liveChangeDescription(to new: VNFConfiguration) -> String {
        switch (self, new) {
        case (.firewall(let old), .firewall(let new)): "\(Self.firewallChange(old, new)) (applied live, connections kept)"
        case (.router(let old), .router(let new)): "\(Self.routeChange(old, new)) (applied live, neighbours kept)"
        case (.loadBalancer(let old), .loadBalancer(let new)): "\(Self.backendChange(old, new)) (applied live, flows keep their backend)"
        case (.nat(let old), .nat(let new)): "\(Self.natChange(old, new)) (applied live, mappings kept)"
        default: "configuration changed (applied live)"
        }
    }

    /// Which source rules and forwards were added, removed or changed, by name.
    static func natChange(_ old: NATConfiguration, _ new: NATConfiguration) -> String {
        var parts: [String] = []
        for (what, before, after) in [
            ("source rules", old.sourceRules.map(\.name), new.sourceRules.map(\.name)),
            ("forwards", old.forwards.map(\.name), new.forwards.map(\.name)),
        ] {
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
            "\(route.destination)" + (route.gateway.map { " via " + ($0.ipv4Mapped.map { "\($0)" } ?? "\($0)") } ?? "")
                + (route.interface.map { " dev \($0)" } ?? "")
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
