import Foundation
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Watches what changes under the running chains without a deploy, twice a second: each
/// load-balancer backend's state (the data plane's `backends` answer) and each TAP port's link
/// (`links`: the device there and up). A change is logged as an event (`backend-down`,
/// `backend-up`, `backend-draining`, `port-down`, `port-up`), and the last states are what
/// `status` and `/metrics` show. A chain without backends is asked for them again only after
/// its next deploy.
final class RuntimeWatch: @unchecked Sendable {
    let lock = NSLock()
    /// The last states, by chain.
    var backends: [String: [BackendView]] = [:]
    var links: [String: [PortLinkView]] = [:]
    /// Chains that answered with no backends, and the generation they answered in.
    var withoutBackends: [String: Int] = [:]

    /// The backends of chain `name` as last seen (nil: none, or not asked yet).
    func backends(of name: String) -> [BackendView]? {
        lock.lock()
        defer { lock.unlock() }
        return backends[name]
    }

    /// The TAP links of chain `name` as last seen.
    func links(of name: String) -> [PortLinkView]? {
        lock.lock()
        defer { lock.unlock() }
        return links[name]
    }

    /// Forgets chain `name` (undeployed).
    func forget(_ name: String) {
        lock.lock()
        backends[name] = nil
        links[name] = nil
        withoutBackends[name] = nil
        lock.unlock()
    }

    /// Starts the watching thread of `supervisor`.
    func start(_ supervisor: Supervisor) {
        Thread.detachNewThread { [self] in
            while true {
                poll(supervisor)
                usleep(500_000)
            }
        }
    }

    func poll(_ supervisor: Supervisor) {
        for record in (try? supervisor.store.chains()) ?? [] where record.phase == "running" {
            let socket = supervisor.paths.controlSocket(record.name)
            pollLinks(supervisor, record.name, socket)
            lock.lock()
            let skip = withoutBackends[record.name] == record.generation
            lock.unlock()
            if !skip { pollBackends(supervisor, record, socket) }
        }
    }

    func pollLinks(_ supervisor: Supervisor, _ name: String, _ socket: String) {
        guard let answer = try? UnixSocket.command(socket, "links", timeoutSeconds: 2),
            let views = try? JSONDecoder().decode([PortLinkView].self, from: Data(answer.utf8))
        else { return }
        lock.lock()
        let before = links[name]
        links[name] = views
        lock.unlock()
        for view in views {
            guard let previous = before?.first(where: { $0.port == view.port }), previous.up != view.up || previous.present != view.present
            else { continue }
            let place = "port \(view.port) (TAP \(view.interface)" + (view.namespace.map { " in \($0)" } ?? "") + ")"
            let state = !view.present ? "is gone" : view.up ? "is up again" : "is down (ip link set down?): its traffic stops"
            supervisor.log(name, view.up && view.present ? "port-up" : "port-down", "\(place) \(state)")
        }
    }

    func pollBackends(_ supervisor: Supervisor, _ record: StateStore.ChainRecord, _ socket: String) {
        guard let answer = try? UnixSocket.command(socket, "backends", timeoutSeconds: 2),
            let views = try? JSONDecoder().decode([BackendView].self, from: Data(answer.utf8))
        else { return }
        lock.lock()
        let before = backends[record.name]
        if views.isEmpty {
            withoutBackends[record.name] = record.generation
            backends[record.name] = nil
        } else {
            backends[record.name] = views
        }
        lock.unlock()
        for view in views {
            let previous = before?.first { $0.stage == view.stage && $0.service == view.service && $0.backend == view.backend }
            guard let previous, previous.state != view.state else { continue }
            supervisor.log(
                record.name, "backend-\(view.state)",
                "stage \(view.stage), service \(view.service): backend \(view.backend) (\(view.address):\(view.port)) "
                    + "\(previous.state) -> \(view.state)" + (view.healthy ? "" : " (health checks fail)"))
        }
    }
}
