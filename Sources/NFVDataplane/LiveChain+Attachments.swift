import CLinux
import NFVDescriptors
import NFVIO
import NFVNetlink
import NFVPipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Containers on container ports (`attach: cni`): a port gains its kernel side when a
/// container attaches and loses it when the container detaches, while the chain runs.
///
/// Attaching makes a TAP (one queue per worker) inside the container's network namespace under
/// the name the runtime chose, persistent (TUNSETPERSIST), so that the container keeps its
/// interface, and the addresses its IPAM plugin gave it, while no data plane runs (a crash, a
/// restart): the next data plane opens the same device again. Each worker takes its queue on
/// its own thread between two rounds; nothing else of the chain stops or changes. Detaching
/// closes the queues with the device no longer persistent, so the kernel removes it.
extension LiveChain {
    /// Attaches the interface `interface` of container `containerID`, whose network namespace
    /// is at `namespacePath`, to container port `port` (nil: the first container port with
    /// nothing attached). Asking again for the same container and interface returns what is
    /// attached (a runtime that retries, an orchestrator attaching after a restart).
    public func attach(port requested: String?, containerID: String, namespacePath: String, interface: String) throws(LiveChainError)
        -> ContainerAttachmentView
    {
        try attachments.withLock { (attached: inout [Int: ContainerAttachmentView]) throws(LiveChainError) -> ContainerAttachmentView in
            if let existing = attached.values.first(where: { $0.containerID == containerID && $0.interface == interface }) {
                guard requested == nil || requested == existing.port else {
                    throw LiveChainError(
                        "container \(containerID)'s \(interface) is attached to port \(existing.port), not \(requested ?? "")")
                }
                return existing
            }
            let number = try containerPort(requested, attached: attached)
            let port = loaded.descriptor.ports[number]
            let mtu = port.tap?.mtu ?? 1500
            guard !interface.isEmpty, interface.utf8.count <= 15, !interface.contains("/"), interface != ".", interface != ".." else {
                throw LiveChainError("\"\(interface)\" is not an interface name (1 to 15 bytes, no '/')")
            }
            let namespace: NetworkNamespace
            do { namespace = try NetworkNamespace(existingAt: namespacePath) } catch {
                throw LiveChainError("port \(port.name): the container's namespace: \(error)")
            }
            let queueCount = workers.count
            var descriptors = [Int32](repeating: -1, count: queueCount)
            var created: Int32 = 0
            let opened = nfv_tap_open_in_namespace(
                namespace.fileDescriptor, interface, queueCount > 1 ? 1 : 0, port.tap?.offloads == true ? 1 : 0, 1, Int32(queueCount),
                &descriptors, &created)
            guard opened == 0 else {
                throw LiveChainError("port \(port.name): TAP \(interface) in \(namespacePath): \(String(cString: strerror(-opened)))")
            }
            let link: LinkInfo
            do {
                let netlink = try namespace.netlink()
                try netlink.setLink(interface, up: true, mtu: UInt32(mtu))
                link = try netlink.link(named: interface)
            } catch {
                if created != 0 { _ = nfv_tap_set_persist(descriptors[0], 0) }
                for descriptor in descriptors { close(descriptor) }
                throw LiveChainError("port \(port.name): \(interface) in \(namespacePath): \(error)")
            }
            let failures = Mutex<[String]>([])
            let taken = descriptors
            changeQueues(of: number) { queue, worker in
                do { try queue.attach(taken[worker], name: interface) } catch { failures.withLock { $0.append("\(error)") } }
            }
            if let failure = failures.withLock({ $0.first }) {
                let madeHere = created != 0
                changeQueues(of: number) { queue, worker in
                    if worker == 0, madeHere { try? queue.setPersistent(false) }
                    queue.detach()
                }
                throw LiveChainError("port \(port.name): \(failure)")
            }
            let view = ContainerAttachmentView(
                port: port.name, containerID: containerID, namespacePath: namespacePath, interface: interface,
                macAddress: link.macAddress, mtu: mtu)
            attached[number] = view
            return view
        }
    }

    /// Detaches container `containerID`'s interface `interface` (the kernel removes its TAP);
    /// nil when it is not attached here (a repeated DEL).
    @discardableResult
    public func detach(containerID: String, interface: String) -> ContainerAttachmentView? {
        attachments.withLock { attached in
            guard let (number, view) = attached.first(where: { $0.value.containerID == containerID && $0.value.interface == interface })
            else { return nil }
            changeQueues(of: number) { queue, worker in
                if worker == 0 { try? queue.setPersistent(false) }
                queue.detach()
            }
            attached[number] = nil
            return view
        }
    }

    /// The containers attached now, in port order.
    public func containerAttachments() -> [ContainerAttachmentView] {
        attachments.withLock { $0.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// The container port `requested` names, or the first one free.
    func containerPort(_ requested: String?, attached: [Int: ContainerAttachmentView]) throws(LiveChainError) -> Int {
        let ports = loaded.descriptor.ports
        let containerPorts = ports.indices.filter { ports[$0].tap?.attachment != nil }
        guard !containerPorts.isEmpty else {
            throw LiveChainError(
                "chain \(loaded.descriptor.name) has no container port; declare one with \"type: tap\" and \"attach: cni\"")
        }
        guard let requested else {
            guard let free = containerPorts.first(where: { attached[$0] == nil }) else {
                throw LiveChainError(
                    "every container port of chain \(loaded.descriptor.name) has a container ("
                        + containerPorts.map { "\(ports[$0].name): \(attached[$0]?.containerID ?? "")" }.joined(separator: ", ")
                        + "); add a port with \"attach: cni\"")
            }
            return free
        }
        guard let number = ports.firstIndex(where: { $0.name == requested }) else {
            throw LiveChainError(
                "chain \(loaded.descriptor.name) has no port \(requested) (container ports: "
                    + containerPorts.map { ports[$0].name }.joined(separator: ", ") + ")")
        }
        guard ports[number].tap?.attachment != nil else {
            throw LiveChainError("port \(requested) of chain \(loaded.descriptor.name) is not a container port (it has no \"attach: cni\")")
        }
        if let holder = attached[number] {
            throw LiveChainError(
                "port \(requested) has container \(holder.containerID) (\(holder.interface)) attached; a port takes one container")
        }
        return number
    }

    /// Runs `change` on each worker's queue of port `port`: on the worker's own thread while
    /// the workers run (returning once each did it), directly while they are stopped.
    func changeQueues(of port: Int, _ change: @escaping @Sendable (TapPort, _ worker: Int) -> Void) {
        guard isRunning.load(ordering: .acquiring) else {
            for worker in workers { change(worker.queues[port], worker.index) }
            return
        }
        for worker in workers {
            worker.queueChanges.withLock { $0.append { change(worker.queues[port], worker.index) } }
        }
        synchronize()
    }

    /// Each attached container's TAP stops persisting, so closing the queues removes it (the
    /// end of a standalone run; an orchestrated one keeps them for the data plane it starts
    /// next, `keepsContainerInterfaces`).
    func releaseContainerInterfaces() {
        for number in attachments.withLock({ Array($0.keys) }) where number < queues.count {
            try? queues[number].first?.setPersistent(false)
        }
    }
}
