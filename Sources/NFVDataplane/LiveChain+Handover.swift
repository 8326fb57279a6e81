import NFVCatalog
import NFVIO
import NFVNetlink
import NFVPacket

#if canImport(Glibc)
    import Glibc
#endif

/// The TAP queues a data plane takes over from the one that ran the chain before it (a
/// migration): the open queue fds, by port then queue, and who passed them.
public struct AdoptedQueues: Sendable {
    /// The data plane that passed them (it holds the same claims until it ends).
    public var predecessor: pid_t
    /// Each port's queue fds, in the chain's port order, one per worker.
    public var descriptors: [[Int32]]

    public init(predecessor: pid_t, descriptors: [[Int32]]) {
        self.predecessor = predecessor
        self.descriptors = descriptors
    }
}

extension LiveChain {
    /// Takes over queues another data plane of this chain opened: the same devices, the same
    /// kernel queues (what waits in them is read here next), nothing plumbed again. Claims the
    /// TAPs and namespaces beside the predecessor, and opens the namespaces (which exist: the
    /// predecessor holds them) for health checks and for removing them at the end.
    func adopt(_ adopted: AdoptedQueues, queueCount: Int) throws(LiveChainError) {
        let ports = loaded.descriptor.ports
        guard adopted.descriptors.count == ports.count, adopted.descriptors.allSatisfy({ $0.count == queueCount }) else {
            for descriptor in adopted.descriptors.joined() { close(descriptor) }
            throw LiveChainError(
                "the chain running now passed \(adopted.descriptors.count) port(s) of \(adopted.descriptors.map(\.count)) queues; "
                    + "this chain has \(ports.count) port(s) of \(queueCount): a change of ports or workers needs a restart")
        }
        claims.predecessor = adopted.predecessor
        var remaining = Array(adopted.descriptors.joined())
        defer { for descriptor in remaining { close(descriptor) } }
        try claimResources()
        for (index, port) in ports.enumerated() {
            guard let tap = port.tap else { throw LiveChainError("\(port.location): port \(port.name) is not a TAP port") }
            do {
                if let name = tap.namespace, namespaces[name] == nil {
                    guard access("/run/netns/\(name)", F_OK) == 0 else {
                        throw LiveChainError("port \(port.name): namespace \(name) is gone")
                    }
                    namespaces[name] = try NetworkNamespace(name: name)
                }
                var portQueues: [TapPort] = []
                for descriptor in adopted.descriptors[index] {
                    remaining.removeAll { $0 == descriptor }
                    portQueues.append(
                        try TapPort(adopting: descriptor, name: tap.interfaceName, portNumber: UInt16(index), mtu: tap.mtu, offloads: tap.offloads))
                }
                queues.append(portQueues)
            } catch let error as LiveChainError {
                throw error
            } catch {
                throw LiveChainError("\(port.location): port \(port.name) (\(tap.interfaceName)): \(error)")
            }
            log.append(
                "port \(port.name): TAP \(tap.interfaceName)" + (tap.namespace.map { " in namespace \($0)" } ?? "")
                    + ": \(queueCount) queue(s) taken over from data plane pid \(adopted.predecessor)")
        }
    }

    /// Every port's queue fds, by port then queue (what a successor takes over).
    public var queueDescriptors: [[Int32]] { queues.map { $0.map(\.fileDescriptor) } }

    /// Stops forwarding so that a successor can take over: the workers stop after their round,
    /// what they handed each other is processed, and what waits in the port shapers' queues
    /// leaves at its rate. Afterwards nothing is in flight inside the chain: every frame read
    /// was written, and the state is what `exportState` reads. `start` resumes (a failed move).
    public func pauseForHandover() {
        stop()
        for worker in workers { worker.finishInFlight() }
    }

    /// Gives each queue the frames a successor read while the state moved (`HeldFrames`, by
    /// port then queue), to receive before anything newer.
    public func takeBacklogs(_ held: [[HeldFrames]]) {
        for (port, heldByQueue) in zip(queues, held) {
            for (queue, frames) in zip(port, heldByQueue) where frames.heldCount > 0 { queue.backlog = frames }
        }
    }
}

extension LiveChain {
    /// The running side of a migration: serves a successor's `hand-over PID CHAIN WORKERS` on
    /// `channel` (see `HandoverChannel`). Stops forwarding, passes the queues and the state,
    /// and returns true once the successor forwards (the caller then ends, leaving the TAPs to
    /// it). A successor of another chain or worker count is refused; one that refuses or goes
    /// away before it forwards leaves this data plane forwarding again (`resume`), with its
    /// state whole. Returns false then. `note` says what happened, for the log.
    public func handOver(on channel: HandoverChannel, arguments: [String], resume: () -> Void) -> (handedOver: Bool, note: String) {
        let name = loaded.descriptor.name
        guard arguments.count == 3, let successor = Int32(arguments[0]), let workerCount = Int(arguments[2]) else {
            try? channel.send(HandoverOffer.refused("expected: hand-over PID CHAIN WORKERS", chain: name))
            return (false, "hand-over refused: expected PID CHAIN WORKERS")
        }
        guard arguments[1] == name, workerCount == workers.count else {
            let reason =
                "this data plane runs chain \(name) on \(workers.count) worker(s), not \(arguments[1]) on \(workerCount): "
                + "the state of each worker belongs to the flows it owns; a change of workers needs a restart"
            try? channel.send(HandoverOffer.refused(reason, chain: name))
            return (false, "hand-over to pid \(successor) refused: " + reason)
        }
        if let port = loaded.descriptor.ports.first(where: { $0.tap?.attachment != nil }) {
            let reason =
                "port \(port.name) takes containers (attach: cni), whose TAP queues a migration does not carry yet; "
                + "restart the chain instead (nfv-orch restart): containers keep their interfaces and are attached again"
            try? channel.send(HandoverOffer.refused(reason, chain: name))
            return (false, "hand-over to pid \(successor) refused: " + reason)
        }
        let ports = HandoverOffer.Port.ports(of: loaded, queues: workers.count)
        do {
            // Still forwarding: the successor builds its workers on the queues meanwhile.
            let offer = HandoverOffer(
                chain: name, pid: getpid(), ports: ports, hashSeed: String(TableHash.processSeed, radix: 16), refusal: nil)
            try channel.send(offer, fds: Array(queueDescriptors.joined()))
            let (step, _) = try channel.receive(HandoverStep.self, timeout: 60)
            guard step.ready else { return (false, "data plane pid \(successor) did not get ready: forwarding on") }
        } catch {
            return (false, "data plane pid \(successor) did not get ready (\(error)): forwarding on")
        }
        let pausedAt = HeldFrames.monotonicNow()
        pauseForHandover()
        do {
            try channel.send(HandoverStep.paused(at: pausedAt))
            try channel.send(exportState())
            let (outcome, _) = try channel.receive(HandoverOutcome.self, timeout: 60)
            if outcome.taken { return (true, "chain \(name): handed over to data plane pid \(successor)") }
            resume()
            return (false, "data plane pid \(successor) did not take the chain over (\(outcome.reason ?? "no reason")): forwarding again")
        } catch {
            resume()
            return (false, "data plane pid \(successor) did not take the chain over (\(error)): forwarding again")
        }
    }
}
