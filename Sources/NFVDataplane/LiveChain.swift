import NFVCatalog
import NFVIO
import NFVNetlink
import Synchronization

/// A chain running live on TAP ports: `init` plumbs what the descriptor asks for (namespaces,
/// TAP devices, their kernel side's MTU, address, link state and default route), `run` moves
/// packets until told to stop, `tearDown` removes everything it created, in reverse order.
///
/// TAPs are created non-persistent, so even a SIGKILL leaves no device behind (the kernel drops
/// them with the process's fds). A namespace the data plane creates carries a `NamespaceMark`;
/// one left by a killed run still carries it, so the next run adopts it as its own and removes
/// it on exit. A namespace someone else made (no mark) is used and left alone.
///
/// The work is split by job: plumbing (`LiveChain+Plumbing`), workers and counters
/// (`LiveChain+Workers`), live control: flows and reload (`LiveChain+Control`).
public final class LiveChain: @unchecked Sendable {
    /// The chain as loaded (replaced by `reload`).
    public internal(set) var loaded: LoadedChain
    /// Workers (one per TAP queue; every port of a chain has the same number of queues).
    var workers: [Worker] = []
    /// Each chain port's queues, by port number then queue.
    var queues: [[TapPort]] = []
    public internal(set) var namespaces: [String: NetworkNamespace] = [:]
    /// Namespaces this run removes on tear-down (created by it, or left by a killed run).
    var ownedNamespaces: Set<String> = []
    /// The first switch stage's flows as the control side last set them (add-flow /
    /// del-flows edit them and hand them to every worker's stage); nil until the first edit.
    var switchFlows: SwitchFlowTable?
    /// Lines describing what was plumbed, for the operator.
    public internal(set) var log: [String] = []
    let stopping = Atomic<Bool>(false)
    let generation = Atomic<Int>(0)
    let isRunning = Atomic<Bool>(false)
    /// What stages run beside the workers (load-balancer health checks), while they run.
    var monitors: [any StageMonitor] = []

    /// How many workers run the chain (the ports' `queues:`).
    public var workerCount: Int { workers.count }

    /// The first queue of each port, by port number.
    public var ports: [TapPort] { queues.compactMap(\.first) }

    /// Plumbs the chain's ports and prepares one worker per queue. On any failure, what was
    /// already made is removed again and the error says which port and step failed.
    public init(loaded: LoadedChain) throws(LiveChainError) {
        self.loaded = loaded
        do {
            let queueCount = try Self.queueCount(loaded)
            try plumb(queueCount: queueCount)
            try makeWorkers(queueCount: queueCount)
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    /// Closes the TAPs (the kernel removes them) and deletes the namespaces this run created.
    public func tearDown() {
        stop()
        workers.removeAll()
        queues.removeAll()
        for (name, namespace) in namespaces where ownedNamespaces.contains(name) {
            try? namespace.delete()
            NamespaceMark(namespace: name).remove()
        }
        ownedNamespaces.removeAll()
        namespaces.removeAll()
    }
}
