import Foundation
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

extension Supervisor {
    /// Where a restored chain's state waits for its data plane's first start.
    func pendingStatePath(_ name: String) -> String { "\(paths.stateDirectory)/chains/\(name)/restore-state.json" }

    /// The running chain `name`'s runtime state (its data plane's `state` answer).
    public func state(_ name: String) throws(OperationError) -> ChainState {
        let answer = try dataplaneCommand(name, "state")
        do { return try JSONDecoder().decode(ChainState.self, from: Data(answer.utf8)) } catch {
            throw OperationError("chain \(name): its data plane's state could not be read: \(answer.prefix(200))", status: 503)
        }
    }

    /// Deploys `snapshot` as a new chain whose data plane takes `state` before it forwards
    /// (`nfv-dataplane --restore-state`): connections opened through the chain before its
    /// snapshot keep passing. Refused while a chain of that name is deployed.
    public func restore(_ snapshot: ChainSnapshot, state: ChainState, wait: Bool) throws(OperationError) -> DeployResult {
        guard state.chain == snapshot.name else {
            throw OperationError("the state is chain \(state.chain)'s and the files chain \(snapshot.name)'s", status: 400)
        }
        guard (try? store.chain(snapshot.name)) == nil else {
            throw OperationError(
                "chain \(snapshot.name) is deployed: a restore makes the chain anew; undeploy it first (its state is in the snapshot)",
                status: 409)
        }
        let pending = pendingStatePath(snapshot.name)
        do {
            try FileManager.default.createDirectory(
                atPath: (pending as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(state).write(to: URL(fileURLWithPath: pending), options: .atomic)
        } catch {
            throw OperationError("cannot write the chain's state: \(error)", status: 500)
        }
        do {
            let result = try deploy(snapshot, allowRestart: false, wait: wait)
            log(snapshot.name, "restore", "restored with the state of \(state.workers.count) worker(s)")
            return result
        } catch {
            unlink(pending)
            throw error
        }
    }
}
