import NFVCatalog
import NFVDescriptors
import NFVIO
import NFVNetlink
import NFVPipeline
import Synchronization

/// A chain running live on TAP ports: `init` plumbs what the descriptor asks for (namespaces,
/// TAP devices, their kernel side's MTU, address, link state and default route), `run` moves
/// packets until told to stop, `tearDown` removes everything it created, in reverse order.
///
/// TAPs are created non-persistent, so even a SIGKILL leaves no device behind (the kernel drops
/// them with the process's fds); the one exception is a container's TAP (`attach: cni`), kept
/// persistent in the container's namespace so the container keeps its interface while no data
/// plane runs (`LiveChain+Attachments`). Before plumbing, the run claims its TAPs and namespaces
/// (`ResourceClaims`): a TAP has one owner, and only orchestrated chains share a namespace. A
/// namespace the data plane creates carries a `NamespaceMark`; the last run out of it removes
/// it, and one left by a killed run still carries the mark, so the next run adopts it and
/// removes it on exit. A namespace someone else made (no mark) is used and left alone.
///
/// The work is split by job: plumbing (`LiveChain+Plumbing`), workers and counters
/// (`LiveChain+Workers`), live control: flows and reload (`LiveChain+Control`), taking over from
/// or handing over to another data plane (`LiveChain+Handover`).
public final class LiveChain: @unchecked Sendable {
    /// The chain as loaded (replaced by `reload`).
    public internal(set) var loaded: LoadedChain
    /// Workers (one per TAP queue; every port of a chain has the same number of queues).
    var workers: [Worker] = []
    /// Each chain port's queues, by port number then queue.
    var queues: [[TapPort]] = []
    public internal(set) var namespaces: [String: NetworkNamespace] = [:]
    /// This run's claims on its TAPs and namespaces (`ResourceClaims`).
    let claims: ResourceClaims
    /// The first switch stage's flows as the control side last set them (add-flow /
    /// del-flows edit them and hand them to every worker's stage); nil until the first edit.
    var switchFlows: SwitchFlowTable?
    /// Serializes flow edits: the control socket's add-flow / del-flows and the OpenFlow
    /// agent's FLOW_MODs each read, change and install the table whole.
    let flowEdits = Mutex<Void>(())
    /// Packets to and from an OpenFlow controller (a switch stage with `openflow:`), else nil.
    var controller: ControllerChannel?
    /// Flows the workers timed out, for the control side's table.
    let expiredFlows = ExpiredFlowInbox()
    /// Switch ports a controller set down (PORT_MOD), by chain port number.
    let adminDownPorts = Mutex<Set<UInt16>>([])
    /// Lines describing what was plumbed, for the operator.
    public internal(set) var log: [String] = []
    let stopping = Atomic<Bool>(false)
    let generation = Atomic<Int>(0)
    let isRunning = Atomic<Bool>(false)
    /// The counters of the data plane this one took the chain over from (a migration), added
    /// to its own in `counters()`; set before the workers start.
    var counterBaseline: CounterBaseline?
    /// What stages run beside the workers (load-balancer health checks), while they run.
    var monitors: [any StageMonitor] = []
    /// The containers attached to container ports (`attach: cni`), by chain port number;
    /// the lock also serializes attach and detach.
    let attachments = Mutex<[Int: ContainerAttachmentView]>([:])
    /// Leave attached containers' TAPs in place at the end (an orchestrated run: the next data
    /// plane of the chain attaches them again, and undeploy removes them); otherwise the end
    /// of the run removes them.
    public var keepsContainerInterfaces = false

    /// How many workers run the chain (the ports' `queues:`).
    public var workerCount: Int { workers.count }

    /// The first queue of each port, by port number.
    public var ports: [TapPort] { queues.compactMap(\.first) }

    /// Plumbs the chain's ports and prepares one worker per queue. On any failure, what was
    /// already made is removed again and the error says which port and step failed.
    ///
    /// `claimant` says who runs the chain (default: a standalone run of the chain's file); a TAP
    /// or namespace another run holds is refused before anything is made (`ResourceClaims`).
    ///
    /// `adopting`: take over the TAP queues another data plane of the chain passed over (a
    /// migration, `LiveChain+Handover`) instead of plumbing.
    public init(loaded: LoadedChain, claimant: Claimant? = nil, adopting: AdoptedQueues? = nil) throws(LiveChainError) {
        self.loaded = loaded
        self.claims = ResourceClaims(
            claimant: claimant ?? Claimant(kind: .standalone, chain: loaded.descriptor.name, file: loaded.descriptor.file))
        do {
            let queueCount = try Self.queueCount(loaded)
            if let adopting {
                try adopt(adopting, queueCount: queueCount)
            } else {
                try plumb(queueCount: queueCount)
            }
            try makeWorkers(queueCount: queueCount)
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    /// Closes the TAPs (the kernel removes them) and gives up the namespaces: the last run out
    /// of a namespace the platform created (marked) deletes it; one that others still use, or
    /// that someone else made, stays.
    public func tearDown() {
        stop()
        if !keepsContainerInterfaces { releaseContainerInterfaces() }
        workers.removeAll()
        queues.removeAll()
        let tunnelNamespaces = Set(loaded.descriptor.ports.compactMap { $0.tap?.vxlan == nil ? nil : $0.tap?.namespace })
        for (name, namespace) in namespaces {
            claims.releaseNamespace(name) {
                let mark = NamespaceMark(namespace: name)
                guard mark.isSet else { return }
                // The kernel destroys a namespace later, with the VXLAN device in it; deleted
                // now, its VNI and UDP port are free for the next run at once.
                if tunnelNamespaces.contains(name) { try? namespace.netlink().deleteLink(PortDescriptor.VXLANSettings.deviceName) }
                try? namespace.delete()
                mark.remove()
            }
        }
        namespaces.removeAll()
        claims.releaseAll()
    }
}
