import Foundation
import NFVCatalog
import NFVPacket
import NFVPipeline
import NFVSwitch

extension LiveChain {
    /// Every worker's stateful stages now (read on each worker's thread between two rounds).
    public func exportState() -> ChainState {
        let perWorker: [(Int, [StageStateRecord])] = inspect { chain, worker in
            let now = Worker.now()
            return [(worker, chain.stages.compactMap { $0.unwrapped as? any StateSnapshotting }.map { $0.exportState(now: now) })]
        }
        let ports = loaded.descriptor.portNumbers
        let edited = flowEdits.withLock { _ in switchFlows?.entries.map { FlowSyntax.formatForAdd($0, ports: ports) } }
        return ChainState(
            chain: loaded.descriptor.name, workers: perWorker.sorted { $0.0 < $1.0 }.map(\.1), hashSeed: TableHash.processSeed,
            switchFlows: edited, counters: counters().baseline)
    }

    /// Takes `state` into the workers' stages before they run: worker i's records into worker
    /// i's stages, by stage name. Returns how many entries were taken. Refused (nothing taken
    /// is undone: call it on a fresh chain) when the format or version is unknown, the snapshot
    /// is of another chain or worker count, or a stage cannot take its entries.
    ///
    /// `sameDevices`: the chain runs on the TAPs the state was taken on (a migration), so the
    /// routers' neighbours are taken too; a restore makes new TAPs, whose kernel sides have
    /// other MAC addresses, so there the routers ask again.
    public func importState(_ state: ChainState, sameDevices: Bool = false) throws(LiveChainError) -> Int {
        guard state.format == ChainState.formatName, state.version <= ChainState.currentVersion else {
            throw LiveChainError(
                "the state is \(state.format) version \(state.version); this build reads \(ChainState.formatName) 1 to \(ChainState.currentVersion)")
        }
        guard !isRunning.load(ordering: .acquiring) else { throw LiveChainError("state is restored before the chain runs") }
        guard state.chain == loaded.descriptor.name else {
            throw LiveChainError("the state is chain \(state.chain)'s, not \(loaded.descriptor.name)'s")
        }
        if state.workers.count > 1, let seed = state.seed, seed != TableHash.processSeed {
            throw LiveChainError(
                "the state was taken on \(state.workers.count) workers that steered flows with another hash seed; "
                    + "its entries would sit on workers that never see their flows (the seed is adopted before the tables are made)")
        }
        guard state.workers.count == workers.count else {
            throw LiveChainError(
                "the state was taken on \(state.workers.count) worker(s) and the chain runs \(workers.count): "
                    + "each worker's entries belong to the flows it owns; run the same number of workers")
        }
        var taken = 0
        let now = Worker.now()
        for (worker, records) in zip(workers, state.workers) {
            let stages = worker.chain.stages.map(\.unwrapped)
            for var record in records {
                if !sameDevices { record.neighbors = nil }
                guard let stage = stages.first(where: { $0.name == record.stage }) as? any StateSnapshotting else {
                    throw LiveChainError(
                        "the state has stage \(record.stage) (\(record.kind)), which chain \(state.chain) has not, or keeps no state")
                }
                do { taken += try stage.importState(record, now: now) } catch { throw LiveChainError(error.description) }
            }
        }
        if sameDevices, let counters = state.counters { counterBaseline = counters }
        if let flows = state.switchFlows {
            try editSwitchFlows { table throws(LiveChainError) in
                do throws(LiveUpdateError) {
                    _ = try table.delete("")
                    for flow in flows { _ = try table.add(flow) }
                } catch {
                    throw LiveChainError("the state's switch flows: \(error)")
                }
            }
            taken += flows.count
        }
        return taken
    }
}
