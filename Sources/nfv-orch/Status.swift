import ArgumentParser
import Foundation
import NFVOrchestrator

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a chain's desired and actual state, restarts and last error.",
        discussion:
            "Also a running restart backoff and what is left of it, each port (LINK DOWN when its TAP's kernel side is down), load-balancer backends and their health, with spec.resources the limits and what the chain's cgroup counts (memory used, CPU periods it waited out), and per stage what went in, out and was dropped. Without a daemon, reads the recorded state (it never starts one)."
    )

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @OptionGroup var format: OutputOptions
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let name = try chainName(chain, command: "status")
        let status: Supervisor.ChainStatus
        var offline: Supervisor?
        do {
            status = try daemon.client.get(Supervisor.ChainStatus.self, "/v1/chains/\(name)")
        } catch .notRunning {
            offline = try offlineSupervisor(daemon)
            guard let offline else {
                printError("nfv-orch: no chain \(name) is deployed; nothing is deployed")
                throw ExitCode.failure
            }
            do { status = try offline.status(name) } catch {
                printError("nfv-orch: \(error)")
                throw ExitCode.failure
            }
        } catch {
            throw fail(error)
        }
        if try format.printStructured(status) { return }
        print("chain:      \(status.name)")
        print("file:       \(status.file) (generation \(status.generation))")
        print("desired:    running")
        print(
            "actual:     \(status.phase)"
                + (status.running ? ", data plane pid \(status.pid.map(String.init) ?? "?")" : ", no data plane running")
                + (status.backoffSeconds.map { backoff in
                    String(format: ", next start in %.1f s (backoff %.1f s)", status.restartInSeconds ?? 0, backoff)
                } ?? ""))
        print("restarts:   \(status.restarts)")
        print("last error: \(status.lastError ?? "none")")
        print(
            "ports:      "
                + status.ports.map { port in
                    let link = status.links?.first { $0.port == port.name }
                    return port.description + (link.map { !$0.present ? " LINK GONE" : $0.up ? "" : " LINK DOWN" } ?? "")
                }.joined(separator: ", "))
        print("stages:     " + status.stages.map(\.description).joined(separator: " -> "))
        if let resources = status.resources {
            var line = "resources:  \(resources.limits)"
            if let used = resources.memoryUsedBytes {
                line +=
                    String(format: "; memory used %.1f MiB", Double(used) / 1_048_576)
                    + (resources.memoryLimitBytes.map { String(format: " of %.1f MiB", Double($0) / 1_048_576) } ?? "")
            }
            if let periods = resources.cpuPeriods, let throttled = resources.cpuThrottledPeriods {
                line += String(
                    format: "; CPU share used up in %llu of %llu periods (waited %.1f s)", throttled, periods, resources.cpuThrottledSeconds ?? 0)
            }
            print(line)
        }
        for backend in status.backends ?? [] {
            print(
                "backend:    \(backend.stage)/\(backend.service)/\(backend.backend) \(backend.address):\(backend.port): \(backend.state)"
                    + (backend.healthy ? "" : " (health checks fail)")
                    + (backend.administrative != backend.state && backend.healthy ? " (set \(backend.administrative))" : ""))
        }
        // Per stage, from the running data plane: what went in, out, and was dropped.
        let counters = offline.map { try? Data($0.stats(name).utf8) } ?? (try? daemon.client.request("GET", "/v1/chains/\(name)/stats"))
        if status.running, let data = counters, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for stage in object["stages"] as? [[String: Any]] ?? [] {
                let drops = (stage["drops"] as? [String: Int] ?? [:]).values.reduce(0, +)
                print(
                    "  \(stage["name"] as? String ?? "") (\(stage["kind"] as? String ?? "")): running, "
                        + "rx \(stage["rx"] as? Int ?? 0), tx \(stage["tx"] as? Int ?? 0), dropped \(drops)")
            }
        }
    }
}
