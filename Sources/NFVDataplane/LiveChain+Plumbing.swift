import NFVCatalog
import NFVIO
import NFVNetlink

extension LiveChain {
    /// The chain's queue (worker) count: every TAP port has the same `queues:`. A chain whose
    /// NAT and load balancer disagree about which side a port is on (`WorkerSteering.conflict`)
    /// needs one queue.
    static func queueCount(_ loaded: LoadedChain) throws(LiveChainError) -> Int {
        let ports = loaded.descriptor.ports
        // spec.workers sets the queues of every port; a port's own queues: must then agree.
        let count = loaded.descriptor.workerCount
        for port in ports {
            let queues = port.tap?.queues ?? 1
            guard queues != count, !(loaded.descriptor.workers != nil && queues == 1) else { continue }
            throw LiveChainError(
                "\(port.location): port \(port.name): queues: \(queues) differs from "
                    + (loaded.descriptor.workers != nil ? "spec.workers: \(count)" : "port \(ports[0].name)'s \(count)")
                    + "; every port of a chain has the same number of queues (one worker per queue)")
        }
        if count > 1, let conflict = WorkerSteering(chain: loaded).conflict {
            throw LiveChainError("\(loaded.descriptor.file): \(conflict); set queues: 1 on the ports")
        }
        return count
    }

    /// Claims every TAP and namespace of the chain before anything is made: a refused claim
    /// (another run's TAP, a standalone run's namespace) leaves the other run untouched.
    func claimResources() throws(LiveChainError) {
        for port in loaded.descriptor.ports {
            guard let tap = port.tap, tap.attachment == nil else { continue }
            do {
                try claims.claimTAP(tap.interfaceName)
                if let namespace = tap.namespace { try claims.claimNamespace(namespace) }
            } catch {
                throw LiveChainError("\(port.location): port \(port.name): \(error)")
            }
        }
    }

    func plumb(queueCount: Int) throws(LiveChainError) {
        try claimResources()
        let host: NetlinkSocket
        do { host = try NetlinkSocket() } catch { throw LiveChainError("netlink: \(error)") }
        for (index, port) in loaded.descriptor.ports.enumerated() {
            guard port.kind == .tap, let tap = port.tap else {
                throw LiveChainError(
                    "\(port.location): port \(port.name) is a \(port.kind.rawValue) port; a live chain runs TAP ports "
                        + "(replay a chain with capture ports with nfv-orch replay)")
            }
            if tap.attachment != nil {
                // A container brings the kernel side later (`attach`); until then, detached.
                queues.append(
                    (0..<queueCount).map { _ in
                        TapPort(detachedName: port.name, portNumber: UInt16(index), mtu: tap.mtu, offloads: tap.offloads)
                    })
                log.append("port \(port.name): waits for a container (attach: cni); frames for it are dropped as port_detached")
                continue
            }
            let step = "\(port.location): port \(port.name) (\(tap.interfaceName))"
            do {
                var portQueues: [TapPort] = []
                for _ in 0..<queueCount {
                    portQueues.append(
                        try TapPort(
                            name: tap.interfaceName, portNumber: UInt16(index), mtu: tap.mtu,
                            multiQueue: queueCount > 1, offloads: tap.offloads))
                }
                queues.append(portQueues)
                try host.setLink(tap.interfaceName, mtu: UInt32(tap.mtu))
                var configure = host
                if let name = tap.namespace {
                    let namespace = try namespaces[name] ?? NetworkNamespace(name: name)
                    if namespaces[name] == nil {
                        namespaces[name] = namespace
                        let mark = NamespaceMark(namespace: name)
                        let sharers = ResourceClaims.holders(.namespace, name).filter { $0.pid != claims.claimant.pid }
                        if namespace.created {
                            mark.set()
                            log.append("namespace \(name) created")
                        } else if !sharers.isEmpty {
                            log.append(
                                "namespace \(name) shared with " + sharers.map { "chain \($0.chain)" }.joined(separator: ", ")
                                    + ": the last chain out removes it" + (mark.isSet ? "" : " (not ours: left in place)"))
                        } else if mark.isSet {
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
                log.append(
                    "port \(port.name): TAP \(tap.interfaceName)"
                        + (tap.namespace.map { " in namespace \($0)" } ?? "")
                        + (tap.address.map { ", \($0)" } ?? "") + (tap.gateway.map { " via \($0)" } ?? "")
                        + ", MTU \(tap.mtu)" + (queueCount > 1 ? ", \(queueCount) queues" : ""))
            } catch {
                throw LiveChainError("\(step): \(error)")
            }
        }
    }
}
