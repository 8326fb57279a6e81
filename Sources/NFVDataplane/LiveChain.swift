import NFVDescriptors
import NFVIO
import NFVNetlink
import NFVPacket
import NFVPipeline
import NFVReplay
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A chain running live on TAP ports: `init` plumbs what the descriptor asks for (namespaces,
/// TAP devices, their kernel side's MTU, address, link state and default route), `run` moves
/// packets until told to stop, `tearDown` removes everything it created, in reverse order.
///
/// TAPs are created non-persistent, so even a SIGKILL leaves no device behind (the kernel drops
/// them with the process's fds). A namespace the data plane creates is marked in
/// `/run/nfv-dataplane/netns-NAME`; one left by a killed run still carries the mark, so the next
/// run adopts it as its own and removes it on exit. A namespace someone else made (no mark) is
/// used and left alone.
public final class LiveChain {
    public let loaded: LoadedChain
    public let pool: PacketPool
    public let chain: Chain
    public private(set) var ports: [TapPort] = []
    public private(set) var namespaces: [String: NetworkNamespace] = [:]
    /// Namespaces this run removes on tear-down (created by it, or left by a killed run).
    var ownedNamespaces: Set<String> = []
    /// Where the marks of namespaces the data plane created live.
    public static let markDirectory = "/run/nfv-dataplane"
    /// Lines describing what was plumbed, for the operator.
    public private(set) var log: [String] = []

    /// Plumbs the chain's ports. On any failure, what was already made is removed again and
    /// the error says which port and step failed.
    public init(loaded: LoadedChain) throws(LiveChainError) {
        self.loaded = loaded
        pool = PacketPool(slotCount: 8 * PacketBatch.defaultCapacity, slotByteCount: 10_240)
        chain = ChainFactory.makeChain(loaded, pool: pool)
        do {
            try plumb()
        } catch {
            tearDown()
            throw error
        }
    }

    deinit { tearDown() }

    func plumb() throws(LiveChainError) {
        let host: NetlinkSocket
        do { host = try NetlinkSocket() } catch { throw LiveChainError("netlink: \(error)") }
        for (index, port) in loaded.descriptor.ports.enumerated() {
            guard port.kind == .tap, let tap = port.tap else {
                throw LiveChainError("\(port.location): port \(port.name) is a \(port.kind.rawValue) port; a live chain runs TAP ports "
                                     + "(replay a chain with capture ports with nfv-orch replay)")
            }
            guard tap.queues == 1 else {
                throw LiveChainError("\(port.location): port \(port.name): queues: \(tap.queues) is not supported by this data plane yet (1 worker)")
            }
            let step = "\(port.location): port \(port.name) (\(tap.interfaceName))"
            do {
                let device = try TapPort(name: tap.interfaceName, portNumber: UInt16(index), mtu: tap.mtu)
                ports.append(device)
                try host.setLink(tap.interfaceName, mtu: UInt32(tap.mtu))
                var configure = host
                if let name = tap.namespace {
                    let namespace = try namespaces[name] ?? NetworkNamespace(name: name)
                    if namespaces[name] == nil {
                        namespaces[name] = namespace
                        let mark = "\(Self.markDirectory)/netns-\(name)"
                        if namespace.created {
                            mkdir(Self.markDirectory, 0o755)
                            let descriptor = creat(mark, 0o644)
                            if descriptor >= 0 { close(descriptor) }
                            ownedNamespaces.insert(name)
                            log.append("namespace \(name) created")
                        } else if access(mark, F_OK) == 0 {
                            ownedNamespaces.insert(name)
                            log.append("namespace \(name) left by an earlier run that did not finish: taken over")
                        } else {
                            log.append("namespace \(name) already there (not ours): used, and left in place")
                        }
                    }
                    try host.moveLink(tap.interfaceName, toNamespaceFD: namespace.fileDescriptor)
                    configure = try namespace.netlink()
                    try configure.setLink("lo", up: true)
                }
                if let address = tap.address { try configure.address(address, on: tap.interfaceName) }
                try configure.setLink(tap.interfaceName, up: true)
                if let gateway = tap.gateway {
                    try configure.route(to: gateway.contains(":") ? "::/0" : "0.0.0.0/0", via: gateway, link: tap.interfaceName)
                }
                log.append("port \(port.name): TAP \(tap.interfaceName)"
                           + (tap.namespace.map { " in namespace \($0)" } ?? "")
                           + (tap.address.map { ", \($0)" } ?? "") + (tap.gateway.map { " via \($0)" } ?? "")
                           + ", MTU \(tap.mtu)")
            } catch {
                throw LiveChainError("\(step): \(error)")
            }
        }
    }

    /// Moves packets between the TAPs through the chain until `shouldStop()`; sleeps in poll
    /// (up to 50 ms, so a stop request is seen promptly) when nothing is waiting.
    public func run(until shouldStop: () -> Bool) throws(PortError) {
        let pipeline = Pipeline(sources: ports, chain: chain, sinks: ports, batch: PacketBatch(pool: pool))
        let waiting = ports
        try pipeline.run(until: shouldStop, idle: { TapPort.waitReadable(waiting, timeoutMilliseconds: 50) })
    }

    /// Closes the TAPs (the kernel removes them) and deletes the namespaces this run created.
    public func tearDown() {
        ports.removeAll()
        for (name, namespace) in namespaces where ownedNamespaces.contains(name) {
            try? namespace.delete()
            unlink("\(Self.markDirectory)/netns-\(name)")
        }
        ownedNamespaces.removeAll()
        namespaces.removeAll()
    }
}

/// Why a live chain could not start, naming the port and the step.
public struct LiveChainError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
