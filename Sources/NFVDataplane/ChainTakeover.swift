import CLinux
import Foundation
import NFVCatalog
import NFVIO
import NFVNetlink
import NFVPipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The successor's side of a migration (`nfv-dataplane CHAIN --take-over SOCKET`): asks the
/// data plane running the chain for it over that data plane's control socket, and takes over
/// its TAP queues and its state without losing a frame or reordering one (in the sense of
/// OpenNF's loss-free, order-preserving move):
///
/// 1. the running data plane passes its queue fds and goes on forwarding; this side builds its
///    workers on them (`LiveChain(adopting:)`) without reading;
/// 2. asked (`awaitPause`), the running data plane stops forwarding with nothing in flight;
///    from that moment this side reads every queue and holds what it reads (`HeldFrames`, in
///    arrival order per queue) while it takes the state in;
/// 3. the workers start with the held frames first, then the queues as usual;
/// 4. it tells the running data plane, which ends, leaving the devices, namespaces and claims
///    to this one.
///
/// Any failure before step 4 refuses the move: the running data plane forwards again with its
/// state (the frames held here are lost; the connections' retransmissions recover them).
public final class ChainTakeover: @unchecked Sendable {
    public let channel: HandoverChannel
    /// The running data plane's control socket.
    public let socketPath: String
    public let offer: HandoverOffer
    /// The held frames, by port then queue.
    let held: [[HeldFrames]]
    let holding = Atomic<Bool>(true)
    var holder: PlatformThread?

    /// Connects to the running data plane at `socketPath` and asks for chain `loaded`'s queues.
    public init(socketPath: String, loaded: LoadedChain) throws(LiveChainError) {
        let workerCount = loaded.descriptor.workerCount
        let channel = try HandoverChannel.connect(to: socketPath)
        let offer: HandoverOffer
        let fds: [Int32]
        do {
            try channel.sendLine("hand-over \(getpid()) \(loaded.descriptor.name) \(workerCount)")
            (offer, fds) = try channel.receive(HandoverOffer.self, timeout: 30)
        } catch {
            channel.close()
            throw error
        }
        if let refusal = offer.refusal {
            channel.close()
            throw LiveChainError("the running data plane refused: \(refusal)")
        }
        guard fds.count == offer.ports.reduce(0, { $0 + $1.queues }) else {
            for fd in fds { close(fd) }
            channel.close()  // Not paused yet: the running data plane sees the end and goes on.
            throw LiveChainError("the running data plane passed \(fds.count) queue(s) for \(offer.ports.count) port(s)")
        }
        var descriptors: [[Int32]] = []
        var next = 0
        for port in offer.ports {
            descriptors.append(Array(fds[next..<next + port.queues]))
            next += port.queues
        }
        self.channel = channel
        self.socketPath = socketPath
        self.offer = offer
        self.descriptors = descriptors
        held = descriptors.map { $0.map { _ in HeldFrames() } }
        if HandoverOffer.Port.ports(of: loaded, queues: workerCount) != offer.ports {
            let reason =
                "the running data plane has ports "
                + offer.ports.map { "\($0.name) (\($0.interfaceName), \($0.queues) queue(s)\($0.offloads ? ", offloads" : ""))" }
                .joined(separator: ", ") + "; this chain's differ: a change of ports, queues or offloads needs a restart"
            refuse(reason)
            for fd in fds { close(fd) }
            throw LiveChainError(reason)
        }
    }

    deinit { stopHolding() }

    /// The queue fds passed, by port then queue (the chain's `AdoptedQueues`).
    public let descriptors: [[Int32]]

    /// The queues to build the chain on.
    public var adoptedQueues: AdoptedQueues { AdoptedQueues(predecessor: offer.pid, descriptors: descriptors) }

    /// When the running data plane stopped forwarding (CLOCK_MONOTONIC ns; 0 until it did).
    public private(set) var pausedAt: UInt64 = 0

    /// Says this side is ready (its workers built), waits until the running data plane stopped
    /// forwarding, and from then holds what the queues bring.
    public func awaitPause() throws(LiveChainError) {
        try channel.send(HandoverStep.ready)
        let (step, _) = try channel.receive(HandoverStep.self, timeout: 30)
        pausedAt = step.pausedAt
        startHolding()
    }

    /// Receives the state the running data plane sent.
    public func receiveState() throws(LiveChainError) -> (state: ChainState, bytes: Int) {
        let (state, _) = try channel.receive(ChainState.self, timeout: 60)
        return (state, channel.lastMessageByteCount)
    }

    /// Stops holding and gives the held frames to `live`'s queues (call before it starts).
    public func handBacklogs(to live: LiveChain) {
        stopHolding()
        live.takeBacklogs(held)
    }

    /// Refuses the move: before the pause the connection just ends (the running data plane
    /// never stopped); after it, the running data plane is told why and forwards again.
    public func refuse(_ reason: String) {
        stopHolding()
        if pausedAt != 0 { try? channel.send(HandoverOutcome(taken: false, reason: reason)) }
        channel.close()
    }

    /// Tells the running data plane that this one forwards; it ends. Waits (at most `seconds`)
    /// until it did, and until the held frames are processed; returns what the move measured.
    public func complete(_ live: LiveChain, stateEntries: Int, stateBytes: Int, workersStartedAt: UInt64) throws(LiveChainError) -> HandoverReport {
        try channel.send(HandoverOutcome(taken: true))
        let frames = held.joined()
        // The workers take the held frames first: wait (on their threads' answers) until they did.
        for _ in 0..<2_000 {
            live.synchronize()
            if frames.allSatisfy(\.isEmpty) { break }
            usleep(1_000)
        }
        let heldCount = frames.reduce(0) { $0 + $1.heldCount }
        let lastReleased = frames.map(\.drainedAt).max() ?? 0
        let firstHeld = frames.map(\.firstHeldAt).filter { $0 > 0 }.min() ?? 0
        let end = heldCount > 0 ? max(lastReleased, workersStartedAt) : workersStartedAt
        _ = channel.waitForClose(seconds: 10)
        channel.close()
        return HandoverReport(
            predecessor: offer.pid, pauseMilliseconds: Double(end &- pausedAt) / 1e6, heldFrames: heldCount,
            droppedFrames: frames.reduce(0) { $0 + $1.dropped },
            firstToLastHeldMilliseconds: heldCount > 0 ? Double(lastReleased &- firstHeld) / 1e6 : 0, stateEntries: stateEntries,
            stateBytes: stateBytes)
    }

    /// Reads every queue on a thread of its own until `stopHolding`, keeping what it reads.
    func startHolding() {
        let pairs = zip(descriptors.joined(), held.joined()).map { ($0, $1) }
        // stopHolding joins the thread before self goes (deinit too).
        holder = PlatformThread.start { [pairs, unowned(unsafe) self] in
            nfv_name_current_thread("nfv-hold")
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536 + 64, alignment: 64)
            defer { scratch.deallocate() }
            var pollers = pairs.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
            while self.holding.load(ordering: .acquiring) {
                for (descriptor, frames) in pairs { frames.hold(from: descriptor, scratch: scratch) }
                _ = pollers.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 1) }
            }
            // A last read: what came after the last poll, before the workers take over.
            for (descriptor, frames) in pairs { frames.hold(from: descriptor, scratch: scratch) }
        }
    }

    func stopHolding() {
        holding.store(false, ordering: .releasing)
        holder?.join()
        holder = nil
    }
}
