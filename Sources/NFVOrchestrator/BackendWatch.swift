import Foundation
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Watches the load-balancer backends of every running chain (the data plane's `backends`
/// answer, twice a second): a backend whose state changes is logged as an event
/// (`backend-down`, `backend-up`, `backend-draining`), and the last states are what `status`
/// and `/metrics` show. A chain without backends is asked again only after its next deploy.
final class BackendWatch: @unchecked Sendable {
    let lock = NSLock()
    /// The last states, by chain.
    var states: [String: [BackendView]] = [:]
    /// Chains that answered with no backends, and the generation they answered in.
    var without: [String: Int] = [:]

    /// The backends of chain `name` as last seen (nil: none, or not asked yet).
    func backends(of name: String) -> [BackendView]? {
        lock.lock()
        defer { lock.unlock() }
        return states[name]
    }

    /// Forgets chain `name` (undeployed).
    func forget(_ name: String) {
        lock.lock()
        states[name] = nil
        without[name] = nil
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
            lock.lock()
            let skip = without[record.name] == record.generation
            lock.unlock()
            guard !skip,
                let answer = try? UnixSocket.command(supervisor.paths.controlSocket(record.name), "backends", timeoutSeconds: 2),
                let views = try? JSONDecoder().decode([BackendView].self, from: Data(answer.utf8))
            else { continue }
            lock.lock()
            let before = states[record.name]
            if views.isEmpty {
                without[record.name] = record.generation
                states[record.name] = nil
            } else {
                states[record.name] = views
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
}
