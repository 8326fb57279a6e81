import NFVPacket
import NFVPipeline

/// The control side of a running load balancer (any thread): backend states and health,
/// backends added, removed and replaced live; the data path picks the changes up between two
/// batches.
extension LoadBalancerStage {
    /// Sets a backend's administrative state (`draining` to take it out gracefully, `down` to
    /// move its flows away, `up` to bring it back) and swaps in the service's new table.
    public func setState(_ state: BackendState, service: String, backend: String) {
        update(service: service, backend: backend) { $0.administrative[$1][$2] = state }
    }

    /// Records a backend's health (from health checks) and swaps in the service's new table: a
    /// backend that is not healthy takes no flows, whatever its administrative state.
    public func setHealth(_ healthy: Bool, service: String, backend: String) {
        update(service: service, backend: backend) { $0.healthy[$1][$2] = healthy }
    }

    /// Adds a backend (up) to a service and swaps in the service's new table.
    public func addBackend(_ backend: LoadBalancerConfiguration.Backend, service: String) {
        guard let serviceIndex = configuration.services.firstIndex(where: { $0.name == service }) else { return }
        control.withLock { state in
            state.backends[serviceIndex].append(backend)
            state.administrative[serviceIndex].append(.up)
            state.healthy[serviceIndex].append(true)
            publish(serviceIndex, &state)
        }
    }

    /// Why `new` cannot replace `old` in a running stage, or nil when it can: the backends of
    /// existing services (added, removed, reweighted, readdressed) change live; services, VIPs,
    /// modes, fallbacks, health checks, ports and table sizes need a new stage.
    public static func liveUpdateProblem(from old: LoadBalancerConfiguration, to new: LoadBalancerConfiguration) -> String? {
        guard old.services.count == new.services.count else { return "services were added or removed" }
        var shape = new
        for index in shape.services.indices { shape.services[index].backends = old.services[index].backends }
        guard shape != old else { return nil }
        if zip(old.services, new.services).contains(where: {
            $0.name != $1.name || $0.vip != $1.vip || $0.port != $1.port
                || $0.ipProtocol != $1.ipProtocol || $0.mode != $1.mode
        }) {
            return "a service's name, VIP, port, protocol or mode changed"
        }
        if zip(old.services, new.services).contains(where: { $0.healthCheck != $1.healthCheck || $0.fallback != $1.fallback }) {
            return "a service's health check or fallback changed"
        }
        return "ports, table size, connection capacity or timeouts changed"
    }

    /// Makes `backends` the backends of `service` (thread-safe; the new Maglev table is built
    /// here and swapped in at the next batch). Backends are matched by name: a new name is
    /// added; a known one takes its new weight (and comes back up if configuration had
    /// removed it); one whose address, port or MAC changed is retired (its flows move on their
    /// next packet) and added anew; a name no longer listed is removed (taken down: no new
    /// flows, its flows move). Backend positions never change, so tracked flows stay valid.
    public func replaceBackends(_ backends: [LoadBalancerConfiguration.Backend], service: String) {
        guard let serviceIndex = configuration.services.firstIndex(where: { $0.name == service }) else { return }
        control.withLock { state in
            for backend in backends {
                if let position = state.backends[serviceIndex].firstIndex(where: { $0.name == backend.name }) {
                    let current = state.backends[serviceIndex][position]
                    if current.address == backend.address && current.port == backend.port && current.mac == backend.mac {
                        state.backends[serviceIndex][position].weight = backend.weight
                        state.administrative[serviceIndex][position] = .up
                        continue
                    }
                    state.backends[serviceIndex][position].name += " (replaced)"
                    state.administrative[serviceIndex][position] = .down
                }
                state.backends[serviceIndex].append(backend)
                state.administrative[serviceIndex].append(.up)
                state.healthy[serviceIndex].append(true)
            }
            let names = Set(backends.map(\.name))
            for position in state.backends[serviceIndex].indices where !names.contains(state.backends[serviceIndex][position].name) {
                state.administrative[serviceIndex][position] = .down
            }
            publish(serviceIndex, &state)
        }
    }

    /// Removes a backend: it takes no new flows and its tracked flows move on their next packet.
    public func removeBackend(_ backend: String, service: String) {
        setState(.down, service: service, backend: backend)
    }

    /// The effective state of every backend of `service` as the control side sees it.
    public func backendStates(service: String) -> [String: BackendState] {
        guard let serviceIndex = configuration.services.firstIndex(where: { $0.name == service }) else { return [:] }
        return control.withLock { state in
            var result: [String: BackendState] = [:]
            for (position, backend) in state.backends[serviceIndex].enumerated() {
                result[backend.name] = Self.effective(state, serviceIndex, position)
            }
            return result
        }
    }

    func update(service: String, backend: String, _ change: (inout ControlState, Int, Int) -> Void) {
        guard let serviceIndex = configuration.services.firstIndex(where: { $0.name == service }) else { return }
        control.withLock { state in
            guard let position = state.backends[serviceIndex].firstIndex(where: { $0.name == backend }) else { return }
            change(&state, serviceIndex, position)
            publish(serviceIndex, &state)
        }
    }

    static func effective(_ state: ControlState, _ service: Int, _ backend: Int) -> BackendState {
        state.healthy[service][backend] ? state.administrative[service][backend] : .down
    }

    /// Builds the service's table from the control state (on the caller's thread) and leaves it
    /// for the data path.
    func publish(_ serviceIndex: Int, _ state: inout ControlState) {
        let backends = state.backends[serviceIndex]
        let states = backends.indices.map { Self.effective(state, serviceIndex, $0) }
        state.pending[serviceIndex] = ServiceState(backends: backends, states: states, size: configuration.tableSize)
        updatesPending.store(true, ordering: .releasing)
    }
}

extension LoadBalancerStage: BackendListing {
    /// Every backend of every service, as the control side knows it now (thread-safe).
    public func backendViews() -> [BackendView] {
        control.withLock { state in
            configuration.services.indices.flatMap { serviceIndex in
                state.backends[serviceIndex].indices.map { position in
                    let backend = state.backends[serviceIndex][position]
                    let administrative = state.administrative[serviceIndex][position]
                    let healthy = state.healthy[serviceIndex][position]
                    return BackendView(
                        stage: name, service: configuration.services[serviceIndex].name, backend: backend.name,
                        address: backend.address.description, port: Int(backend.port), weight: backend.weight,
                        administrative: administrative.rawValue, healthy: healthy,
                        state: healthy ? administrative.rawValue : BackendState.down.rawValue)
                }
            }
        }
    }
}
