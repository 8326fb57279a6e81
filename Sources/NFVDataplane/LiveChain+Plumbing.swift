import NFVCatalog
import NFVDescriptors
import NFVIO
import NFVNetlink

#if canImport(Glibc)
    import Glibc
#endif

extension LiveChain {
    /// The chain's queue (worker) count: every TAP port has the same `queues:`. A chain whose
    /// NAT and load balancer disagree about which side a port is on (`WorkerSteering.conflict`)
    /// needs one queue.
    static func queueCount(_ loaded: LoadedChain) throws(LiveChainError) -> Int {
        let ports = loaded.descriptor.ports
        if let placement = loaded.descriptor.placement {
            throw LiveChainError(
                "\(loaded.descriptor.file): chain \(loaded.descriptor.name) runs on hosts " + placement.hosts.map(\.name).joined(separator: ", ")
                    + "; each host runs its half: nfv-orch deploy \(loaded.descriptor.file) --host NAME on that host")
        }
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
            guard port.kind == .tap || port.kind == .vxlan, let tap = port.tap else {
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
                // A tunnel's bridge port carries others' frames only: no IPv6 link-local address,
                // so nothing of its own (neighbour discovery, MLD) enters the chain.
                if tap.vxlan != nil { try configure.setLink(tap.interfaceName, ipv6LinkLocal: false) }
                try configure.setLink(tap.interfaceName, up: true)
                if let tunnel = tap.vxlan, let name = tap.namespace, let namespace = namespaces[name] {
                    try plumbTunnel(tunnel, port: index, tap: tap, host: host, namespace: namespace, inside: configure)
                }
                if let gateway = tap.gateway {
                    try configure.route(to: gateway.contains(":") ? "::/0" : "0.0.0.0/0", via: gateway, link: tap.interfaceName)
                }
                if let tunnel = tap.vxlan {
                    log.append(
                        "port \(port.name): VXLAN \(tunnel.vni) to \(tunnel.remote) from \(tunnel.local), UDP \(tunnel.destinationPort) "
                            + "(bridged with TAP \(tap.interfaceName) in namespace \(tap.namespace ?? ""))")
                    continue
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

    /// A `vxlan` port's kernel side: in the port's namespace, a bridge joins the TAP with a
    /// VXLAN device, made in the data plane's own namespace (so its UDP socket is on this
    /// host's underlay) and moved in. What a killed run left there is removed first; the
    /// namespace, and everything in it, goes with the chain.
    func plumbTunnel(
        _ tunnel: PortDescriptor.VXLANSettings, port: Int, tap: PortDescriptor.TapSettings, host: NetlinkSocket,
        namespace: NetworkNamespace, inside: NetlinkSocket
    ) throws(NetlinkError) {
        let (device, bridge) = (PortDescriptor.VXLANSettings.deviceName, PortDescriptor.VXLANSettings.bridgeName)
        for leftover in [device, bridge] where (try? inside.link(named: leftover)) != nil {
            try inside.deleteLink(leftover)
            log.append("namespace \(namespace.name): \(leftover) left by an earlier run removed")
        }
        let temporary = "nfvvx\(getpid() % 100_000)p\(port)"
        try host.addVXLAN(temporary, vni: tunnel.vni, remote: tunnel.remote, local: tunnel.local, port: tunnel.destinationPort)
        do throws(NetlinkError) { try host.moveLink(temporary, toNamespaceFD: namespace.fileDescriptor) } catch {
            try? host.deleteLink(temporary)
            throw error
        }
        try inside.setLink(temporary, rename: device, ipv6LinkLocal: false)
        try inside.addBridge(bridge)
        try inside.setLink(bridge, ipv6LinkLocal: false)
        try inside.enslave(tap.interfaceName, to: bridge)
        try inside.enslave(device, to: bridge)
        try inside.setLink(device, up: true, mtu: UInt32(tap.mtu))
        try inside.setLink(bridge, up: true)
    }
}
