import NFVCatalog
import NFVNetlink
import NFVPipeline

extension LiveChain {
    /// The chain's switch stages' flows in `ovs-ofctl dump-flows` form, counters summed over
    /// the workers (ports by chain port name).
    public func dumpFlows() -> String {
        let names = loaded.descriptor.portNumbers
        let stages = counters().stages.filter { $0.kind == VNFKind.switch.name }
        guard !stages.isEmpty else { return "error: chain \(loaded.descriptor.name) has no switch stage" }
        return stages.map { stage in
            (stages.count > 1 ? "stage \(stage.name):\n" : "")
                + stage.flows.map {
                    $0.dumpLine(ports: names)
                }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Adds a flow to the first switch stage (replacing one with the same table, priority and
    /// match, as ovs-ofctl add-flow does). Runtime only: a restart returns to the configuration.
    public func addFlow(_ text: String) throws(LiveChainError) -> String {
        try editSwitchFlows { table throws(LiveChainError) in
            do throws(LiveUpdateError) { return try table.add(text) } catch { throw LiveChainError(error.description) }
        }
    }

    /// Deletes the flows of the first switch stage that match `text` loosely (every field it
    /// names, the flow pins to the same value), or all flows when `text` is empty.
    public func deleteFlows(_ text: String) throws(LiveChainError) -> String {
        try editSwitchFlows { table throws(LiveChainError) in
            do throws(LiveUpdateError) { return try table.delete(text) } catch { throw LiveChainError(error.description) }
        }
    }

    /// What runs and differs from the chain's configuration (flows edited at run time), one
    /// line per difference; empty when the chain runs as configured.
    public func drift() -> [String] {
        guard let switchFlows, let configured = SwitchFlowTable(chain: loaded) else { return [] }
        return switchFlows.drift(from: configured).map { [$0] } ?? []
    }

    /// Puts the configured flows back in force (undoing add-flow and del-flows).
    public func resetFlows() -> String {
        guard let configured = SwitchFlowTable(chain: loaded) else { return "error: chain \(loaded.descriptor.name) has no switch stage" }
        return flowEdits.withLock { _ in
            let changed = drift().isEmpty ? "" : " (run-time edits undone)"
            expiredFlows.discard()
            install(configured)
            return "configured flows in force" + changed
        }
    }

    /// Every connection the chain's firewalls track now, on every worker.
    public func trackedConnections() -> [TrackedConnectionView] {
        inspect { chain, worker in
            let now = Worker.now()
            return chain.stages.compactMap { $0.unwrapped as? any ConnectionListing }
                .flatMap { $0.trackedConnections(now: now, worker: worker) }
        }
    }

    /// Every mapping the chain's NATs hold now, on every worker.
    public func natMappings() -> [NATMappingView] {
        inspect { chain, worker in
            let now = Worker.now()
            return chain.stages.compactMap { $0.unwrapped as? any MappingListing }.flatMap { $0.natMappings(now: now, worker: worker) }
        }
    }

    /// Every load-balancer backend's state (health checks update every worker's stage alike:
    /// the first worker's is read).
    public func backends() -> [BackendView] {
        (workers.first?.chain.stages ?? []).compactMap { $0.unwrapped as? any BackendListing }.flatMap { $0.backendViews() }
    }

    /// Each TAP port's kernel side now (netlink, in the port's namespace).
    public func links() -> [PortLinkView] {
        let attached = attachments.withLock { $0 }
        return loaded.descriptor.ports.enumerated().compactMap { number, port in
            guard let tap = port.tap else { return nil }
            // A container port: the container's interface in its namespace, nothing while none
            // is attached; any other: the TAP in the port's namespace (or the data plane's).
            let interface: String
            let namespace: String?
            let socket: NetlinkSocket?
            if tap.attachment != nil {
                guard let view = attached[number] else { return nil }
                (interface, namespace) = (view.interface, view.namespacePath)
                socket = try? NetworkNamespace(existingAt: view.namespacePath).netlink()
            } else {
                (interface, namespace) = (tap.interfaceName, tap.namespace)
                socket = tap.namespace.map { name in try? namespaces[name]?.netlink() } ?? (try? NetlinkSocket())
            }
            let link = socket.flatMap { try? $0.link(named: interface) }
            return PortLinkView(port: port.name, interface: interface, namespace: namespace, present: link != nil, up: link?.isUp ?? false)
        }
    }

    /// Runs `edit` on the first switch stage's flows under the edit lock and installs the
    /// result (nothing changes when `edit` throws).
    func editSwitchFlows<Result>(_ edit: (inout SwitchFlowTable) throws(LiveChainError) -> Result) throws(LiveChainError) -> Result {
        try flowEdits.withLock { (_: inout Void) throws(LiveChainError) -> Result in
            var table = try currentSwitchFlows()
            expiredFlows.apply(to: &table.entries, report: controller != nil)  // timed out on the workers: gone here too
            let result = try edit(&table)
            install(table)
            return result
        }
    }

    func currentSwitchFlows() throws(LiveChainError) -> SwitchFlowTable {
        if let switchFlows { return switchFlows }
        guard let table = SwitchFlowTable(chain: loaded) else {
            throw LiveChainError("chain \(loaded.descriptor.name) has no switch stage")
        }
        return table
    }

    /// Hands `table` to every worker's switch stage and returns once each has taken it.
    func install(_ table: SwitchFlowTable) {
        switchFlows = table
        table.install(on: workers.flatMap { $0.chain.stages })
        synchronize()
    }

    /// Applies a changed chain to the running workers without stopping them: every changed
    /// firewall configuration, router route set, load-balancer backend set and NAT rule and
    /// forward set is swapped in between two batches (or at once on an idle worker; the call
    /// returns when every worker has it) (connections, neighbour entries, flow
    /// affinity and NAT mappings keep their state).
    /// Anything else that differs (ports, stages, other VNF configurations) cannot be applied
    /// live and is refused as a whole, with the reason. Returns the updated stage names.
    @discardableResult
    public func reload(_ new: LoadedChain) throws(LiveChainError) -> [String] {
        let changes = ChainChanges.between(loaded, new)
        guard changes.appliesLive else {
            throw LiveChainError(changes.restart.joined(separator: "; ") + "; this needs a restart")
        }
        // Health checks follow the new backends: the monitors stop while the backends change.
        let restartMonitors = changes.live.contains { $0.after.kind == .loadBalancer } && isRunning.load(ordering: .acquiring)
        if restartMonitors {
            for monitor in monitors { monitor.stop() }
            monitors.removeAll()
        }
        for update in changes.live {
            for stage in stages(named: update.stage) {
                do { try update.after.apply(to: stage) } catch {
                    throw LiveChainError("stage \(update.stage): \(error)")
                }
            }
        }
        loaded = new
        synchronize()
        if restartMonitors { startHealthChecks() }
        return changes.live.map(\.stage)
    }

    /// Every worker's instance of stage `name` (the stage itself, not a path gate around it).
    func stages(named name: String) -> [any Stage] {
        workers.flatMap { worker in worker.chain.stages.map(\.unwrapped).filter { $0.name == name } }
    }
}
