import ArgumentParser
import Foundation
import NFVCatalog
import NFVDataplane
import NFVDescriptors
import NFVIsolation
import NFVNetlink
import NFVPacket
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Runtime state into a new data plane: `--restore-state` (a file) and `--take-over` (a running
/// data plane of the chain, `ChainTakeover`).
extension NFVDataplaneCommand {
    /// `--restore-state FILE` read, its hash seed adopted (`TableHash.adopt`).
    static func readState(_ path: String) throws -> ChainState {
        do {
            let state = try JSONDecoder().decode(ChainState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            if let seed = state.seed, !TableHash.adopt(seed: seed) {
                throw LiveChainError("the hash seed of the state came too late: the tables were made")
            }
            return state
        } catch {
            FileHandle.standardError.write(Data("nfv-dataplane: --restore-state \(path): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// `--restore-state FILE`: the state into the chain before it forwards.
    static func restore(_ live: LiveChain, state: ChainState, from path: String) throws {
        do {
            let taken = try live.importState(state)
            sayLine("state: \(taken) entries restored from \(path)")
        } catch {
            FileHandle.standardError.write(Data("nfv-dataplane: --restore-state \(path): \(error)\n".utf8))
            live.tearDown()
            throw ExitCode(1)
        }
    }

    /// `--take-over PATH`, first step: the running data plane's queues, and its hash seed adopted.
    static func connect(_ loaded: LoadedChain, to path: String) throws -> ChainTakeover {
        do {
            let takeover = try ChainTakeover(socketPath: path, loaded: loaded)
            guard let seed = UInt64(takeover.offer.hashSeed, radix: 16), TableHash.adopt(seed: seed) else {
                takeover.refuse("the successor could not take the hash seed")
                throw LiveChainError("the running data plane's hash seed \(takeover.offer.hashSeed) could not be taken")
            }
            return takeover
        } catch {
            FileHandle.standardError.write(Data("nfv-dataplane: --take-over \(path): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// `--take-over PATH`: the chain built on the running data plane's queues, its state taken
    /// while the frames that arrive are held; refused (that data plane goes on) when anything
    /// fails.
    static func takeOver(_ loaded: LoadedChain, through takeover: ChainTakeover, claimant: Claimant) throws -> (
        LiveChain, (ChainTakeover, stateEntries: Int, stateBytes: Int)
    ) {
        let path = takeover.socketPath
        let live: LiveChain
        do { live = try LiveChain(loaded: loaded, claimant: claimant, adopting: takeover.adoptedQueues) } catch {
            takeover.refuse("\(error)")
            FileHandle.standardError.write(Data("nfv-dataplane: --take-over \(path): \(error)\n".utf8))
            throw ExitCode(1)
        }
        do {
            faultPoint("queues")
            try takeover.awaitPause()
            faultPoint("paused")
            let (state, bytes) = try takeover.receiveState()
            faultPoint("state")
            let entries = try live.importState(state, sameDevices: true)
            return (live, (takeover, entries, bytes))
        } catch {
            takeover.refuse("\(error)")
            live.tearDown()
            FileHandle.standardError.write(Data("nfv-dataplane: --take-over \(path): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// For the tests of a move that fails: with NFV_TAKEOVER_KILL_AT=`point` in the environment,
    /// the successor kills itself (SIGKILL) there: "queues" (it holds the queue fds and built
    /// its workers), "paused" (the running data plane stopped forwarding), "state" (the state
    /// arrived, nothing told yet).
    static func faultPoint(_ point: String) {
        if ProcessInfo.processInfo.environment["NFV_TAKEOVER_KILL_AT"] == point { raise(SIGKILL) }
    }

    /// Attaches again the containers an earlier run of the chain had (`--attachments`).
    static func attachAgain(_ live: LiveChain, from path: String) {
        guard let data = FileManager.default.contents(atPath: path),
            let views = try? JSONDecoder().decode([ContainerAttachmentView].self, from: data)
        else {
            sayLine("--attachments \(path): not a readable list of attachments; no container attached again")
            return
        }
        for view in views {
            do {
                _ = try live.attach(port: view.port, containerID: view.containerID, namespacePath: view.namespacePath, interface: view.interface)
                sayLine("port \(view.port): container \(view.containerID) attached again (\(view.interface) in \(view.namespacePath))")
            } catch {
                sayLine("port \(view.port): container \(view.containerID) not attached again: \(error)")
            }
        }
    }
}
