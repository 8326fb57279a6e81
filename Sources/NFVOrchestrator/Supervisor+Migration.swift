import Foundation
import NFVDescriptors
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

extension Supervisor {
    /// Moves chain `name` to a new data-plane process without losing its connections: the new
    /// one (the nfv-dataplane executable as it is now: an upgrade of the binary takes effect
    /// here) takes the running one's TAP queues and state over (`nfv-dataplane --take-over`),
    /// holds what arrives meanwhile and processes it first; the old one ends. Returns what the
    /// move measured (pause, frames held, state moved). A refused move leaves the running data
    /// plane forwarding, with the reason.
    public func migrate(_ name: String) throws(OperationError) -> String {
        operations.lock()
        defer { operations.unlock() }
        guard let record = try? store.chain(name) else {
            throw OperationError("no chain \(name) is deployed" + suggestion(name), status: 404)
        }
        return "chain \(name): " + (try handOver(name, generation: record.generation))
    }

    /// The move itself, to generation `generation`'s files (a deploy that changes resources
    /// moves to the new generation); the caller holds `operations`.
    func handOver(_ name: String, generation: Int) throws(OperationError) -> String {
        guard let record = try? store.chain(name) else { throw OperationError("no chain \(name)", status: 404) }
        lock.lock()
        let runtime = runtimes[name]
        let running = runtime?.pid ?? 0
        lock.unlock()
        guard let runtime, running > 0, ProcessSpawner.isRunning(running, executable: dataplane, marker: paths.controlSocket(name)),
            access(readyPath(name), F_OK) == 0
        else {
            throw OperationError(
                "chain \(name) has no forwarding data plane to move (phase \(record.phase)); nfv-orch restart \(name) starts one", status: 409)
        }
        var (arguments, policy) = try dataplaneArguments(name, generation: generation)
        arguments += ["--take-over", paths.controlSocket(name)]
        lock.lock()
        runtime.handingOver = running
        lock.unlock()
        unlink(readyPath(name))
        let successor: pid_t
        do { successor = try ProcessSpawner.spawn(dataplane, arguments, logPath: "\(paths.stateDirectory)/chains/\(name)/dataplane.log") } catch {
            lock.lock()
            runtime.handingOver = nil
            lock.unlock()
            recreateReadyFile(name)
            throw OperationError("chain \(name): \(error)", status: 500)
        }
        log(name, "migrate", "data plane pid \(successor) takes the chain over from pid \(running)")
        watch(runtime, pid: successor, child: true)
        let marker = paths.controlSocket(name)
        for _ in 0..<300 where access(readyPath(name), F_OK) != 0 && ProcessSpawner.isRunning(successor, executable: dataplane, marker: marker) {
            usleep(50_000)
        }
        guard access(readyPath(name), F_OK) == 0 else {
            // Refused or failed: the running data plane forwards again (unless it went too).
            if ProcessSpawner.isRunning(successor, executable: dataplane, marker: marker) { kill(successor, SIGKILL) }
            let reason = logTail(name)
            lock.lock()
            runtime.handingOver = nil
            let stillRunning = ProcessSpawner.isRunning(running, executable: dataplane, marker: marker)
            lock.unlock()
            if stillRunning {
                recreateReadyFile(name)
                log(name, "migrate-failed", "data plane pid \(successor) did not take over: \(reason); pid \(running) goes on")
                throw OperationError("chain \(name): the move failed, the chain goes on in data plane pid \(running): \(reason)", status: 500)
            }
            log(name, "migrate-failed", "neither data plane runs: starting the chain anew")
            try start(name, generation: generation, wait: true)
            throw OperationError("chain \(name): the move failed and the chain was started anew (its state lost): \(reason)", status: 500)
        }
        lock.lock()
        runtime.pid = successor
        runtime.policy = policy
        lock.unlock()
        try? store.update(name) {
            $0.pid = successor
            $0.phase = "running"
            $0.lastError = nil
        }
        let report = (try? UnixSocket.command(marker, "migration")) ?? ""
        let text =
            (try? JSONDecoder().decode(HandoverReport.self, from: Data(report.utf8))).map(\.description)
            ?? report.trimmingCharacters(in: .whitespacesAndNewlines)
        log(name, "migrated", "data plane pid \(successor) " + text)
        return "moved to data plane pid \(successor): " + text
    }

    /// The ready file of a data plane that goes on forwarding (unlinked for its successor).
    func recreateReadyFile(_ name: String) {
        let descriptor = creat(readyPath(name), 0o644)
        if descriptor >= 0 { close(descriptor) }
    }
}
