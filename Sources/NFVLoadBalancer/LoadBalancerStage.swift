import NFVFlow
import NFVPacket
import NFVPipeline
import Synchronization

/// The L4 load balancer VNF: packets from clients to a virtual service (VIP, port, protocol)
/// go to a backend chosen by Maglev consistent hashing for a new flow, and to the same backend
/// for every later packet of the flow (connection affinity), even when the backend set changes,
/// unless its backend went down or was removed.
///
/// NAT mode rewrites the destination to the backend (checksums patched incrementally) and the
/// backend's replies back to the VIP; DSR mode only rewrites the destination MAC. Backends can
/// be drained (no new flows; existing flows finish), marked down (their flows move), added or
/// removed, and their weights changed: each change builds a new Maglev table for the service
/// and swaps it in. With no backend up, new flows go to the service's fallback when it has one.
///
/// Control operations (`setState`, `setHealth`, `addBackend`, `removeBackend`) may come from
/// any thread, such as a `HealthMonitor`'s: they build the new table on the caller's thread
/// and leave it in a mailbox; the data path picks it up at the start of its next batch (one
/// atomic load per batch when nothing changed), so a batch always sees one consistent table.
///
/// Drops: `lb_no_backend` (no backend up and no fallback), `lb_table_full` (a new flow could
/// not be tracked). Traffic that is not for a VIP, or not a reply of a tracked NAT-mode flow,
/// passes unchanged.
public final class LoadBalancerStage: Stage, @unchecked Sendable {
    public let name: String
    public var kind: String { "load-balancer" }
    public let configuration: LoadBalancerConfiguration

    struct Connection {
        var client: UInt32
        var backendAddress: UInt32
        var expires: UInt64
        var clientPort: UInt16
        var backendPort: UInt16
        var service: Int16
        var backend: Int16
        var ipProtocol: UInt8
        var closing: Bool
        var used: Bool
    }

    /// Per service: backends, their states, and the current Maglev table.
    struct ServiceState {
        var backends: [LoadBalancerConfiguration.Backend]
        var states: [BackendState]
        var table: MaglevTable
    }

    /// The control side's view of the backends, and tables built but not yet picked up.
    struct ControlState {
        var backends: [[LoadBalancerConfiguration.Backend]]
        /// What the operator said (up, draining, or down for removed).
        var administrative: [[BackendState]]
        /// What health checks say.
        var healthy: [[Bool]]
        var pending: [Int: ServiceState] = [:]
    }

    let clientPort: UInt16
    let backendPort: UInt16
    /// The data path's services (only `process` touches them).
    var services: [ServiceState]
    let control: Mutex<ControlState>
    let updatesPending = Atomic<Bool>(false)
    let connections: UnsafeMutablePointer<Connection>
    let byClient: IndexTable
    let byBackend: IndexTable
    var freeSlots: [Int32]
    let capacity: Int
    var sweepCursor = 0
    /// New flows assigned, per service and backend (by name).
    public private(set) var assignments: [String: [String: UInt64]] = [:]

    /// A load-balancer stage; `portIndex` maps chain port names to numbers.
    public init(name: String, configuration: LoadBalancerConfiguration, portIndex: [String: UInt16]) {
        self.name = name
        self.configuration = configuration
        clientPort = portIndex[configuration.clientPort] ?? UInt16.max
        backendPort = portIndex[configuration.backendPort] ?? UInt16.max
        services = configuration.services.map { service in
            ServiceState(backends: service.backends, states: service.backends.map { _ in .up },
                         table: MaglevTable(names: service.backends.map(\.name), weights: service.backends.map(\.weight),
                                            size: configuration.tableSize))
        }
        control = Mutex(ControlState(backends: configuration.services.map(\.backends),
                                     administrative: configuration.services.map { $0.backends.map { _ in .up } },
                                     healthy: configuration.services.map { $0.backends.map { _ in true } }))
        capacity = max(configuration.connectionCapacity, 1)
        connections = .allocate(capacity: capacity)
        connections.initialize(repeating: Connection(client: 0, backendAddress: 0, expires: 0, clientPort: 0, backendPort: 0,
                                                     service: 0, backend: 0, ipProtocol: 0, closing: false, used: false),
                               count: capacity)
        freeSlots = (0..<Int32(capacity)).reversed()
        byClient = IndexTable(capacity: capacity)
        byBackend = IndexTable(capacity: capacity)
    }

    deinit { connections.deallocate() }

    /// Connections tracked.
    public var connectionCount: Int { byClient.count }

    // MARK: Control

    /// Sets a backend's administrative state (`draining` to take it out gracefully, `down` to
    /// move its flows away, `up` to bring it back) and swaps in the service's new table.
    public func setState(_ state: BackendState, service: String, backend: String) {
        update(service: service, backend: backend) { $0.administrative[$1][$2] = state }
    }

    /// Records a backend's health (from health checks) and swaps in the service's new table: a
    /// backend that is not healthy takes no flows, whatever its administrative state.
    public func setHealth(_ healthy: Bool, service: String, backend: String) {
        update(service: service, backend: backend) { $0.healthy[$1][$2] = healthy }
    }

    /// Adds a backend (up) to a service and swaps in the service's new table.
    public func addBackend(_ backend: LoadBalancerConfiguration.Backend, service: String) {
        guard let serviceIndex = configuration.services.firstIndex(where: { $0.name == service }) else { return }
        control.withLock { state in
            state.backends[serviceIndex].append(backend)
            state.administrative[serviceIndex].append(.up)
            state.healthy[serviceIndex].append(true)
            publish(serviceIndex, &state)
        }
    }

    /// Removes a backend: it takes no new flows and its tracked flows move on their next packet.
    public func removeBackend(_ backend: String, service: String) {
        setState(.down, service: service, backend: backend)
    }

    /// The effective state of every backend of `service` as the control side sees it.
    public func backendStates(service: String) -> [String: BackendState] {
        guard let serviceIndex = configuration.services.firstIndex(where: { $0.name == service }) else { return [:] }
        return control.withLock { state in
            var result: [String: BackendState] = [:]
            for (position, backend) in state.backends[serviceIndex].enumerated() {
                result[backend.name] = Self.effective(state, serviceIndex, position)
            }
            return result
        }
    }

    func update(service: String, backend: String, _ change: (inout ControlState, Int, Int) -> Void) {
        guard let serviceIndex = configuration.services.firstIndex(where: { $0.name == service }) else { return }
        control.withLock { state in
            guard let position = state.backends[serviceIndex].firstIndex(where: { $0.name == backend }) else { return }
            change(&state, serviceIndex, position)
            publish(serviceIndex, &state)
        }
    }

    static func effective(_ state: ControlState, _ service: Int, _ backend: Int) -> BackendState {
        state.healthy[service][backend] ? state.administrative[service][backend] : .down
    }

    /// Builds the service's table from the control state (on the caller's thread) and leaves it
    /// for the data path.
    func publish(_ serviceIndex: Int, _ state: inout ControlState) {
        let backends = state.backends[serviceIndex]
        let states = backends.indices.map { Self.effective(state, serviceIndex, $0) }
        let weights = zip(backends, states).map { $1 == .up ? $0.weight : 0 }
        state.pending[serviceIndex] = ServiceState(backends: backends, states: states,
                                                   table: MaglevTable(names: backends.map(\.name), weights: weights,
                                                                      size: configuration.tableSize))
        updatesPending.store(true, ordering: .releasing)
    }

    /// Takes the tables the control side left (at a batch boundary).
    func pickUpUpdates() {
        let updates = control.withLock { state in
            let pending = state.pending
            state.pending = [:]
            updatesPending.store(false, ordering: .relaxed)
            return pending
        }
        for (serviceIndex, service) in updates { services[serviceIndex] = service }
    }

    /// The backend index Maglev gives a flow of `service` in the table the data path uses now
    /// (no connection state involved).
    public func pick(service: Int, hash: UInt64) -> Int { services[service].table.backend(forHash: hash) }

    // MARK: Data path

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        if updatesPending.load(ordering: .acquiring) { pickUpUpdates() }
        let count = batch.count
        guard count > 0 else { return }
        let inPort = batch.metadata[0].inPort
        let fromClients = inPort == clientPort
        guard fromClients || inPort == backendPort else { return }
        let metadata = batch.metadata
        let pool = batch.pool
        for index in 0..<count {
            let packet = metadata + index
            let flags = packet.pointee.flags
            guard flags.contains(.ipv4), flags.contains(.hasL4),
                  packet.pointee.ipProtocol == IPProtocol.tcp || packet.pointee.ipProtocol == IPProtocol.udp else { continue }
            let frame = pool.slot(packet.pointee.id) + Int(packet.pointee.dataOffset)
            if fromClients {
                balance(index, packet: packet, frame: frame, batch: batch)
            } else {
                reply(packet: packet, frame: frame)
            }
        }
        sweep(now: metadata[count - 1].timestamp)
    }

    static func clientKey(_ ipProtocol: UInt8, _ client: UInt32, _ clientPort: UInt16, _ service: Int) -> (UInt64, UInt64) {
        (UInt64(ipProtocol) << 48 | UInt64(clientPort) << 32 | UInt64(client), UInt64(service))
    }

    static func backendKey(_ ipProtocol: UInt8, _ backend: UInt32, _ backendPort: UInt16, _ client: UInt32,
                           _ clientPort: UInt16) -> (UInt64, UInt64) {
        (UInt64(ipProtocol) << 48 | UInt64(backendPort) << 32 | UInt64(backend), UInt64(client) << 16 | UInt64(clientPort))
    }

    func balance(_ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer, batch: PacketBatch) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let l4 = frame + Int(packet.pointee.l4Offset)
        let ipProtocol = packet.pointee.ipProtocol
        let destination = l3.loadNetworkUInt32(at: 16)
        let destinationPort = l4.loadNetworkUInt16(at: 2)
        guard let serviceIndex = configuration.services.firstIndex(where: {
            $0.vip.rawValue == destination && $0.port == destinationPort && $0.ipProtocol == ipProtocol
        }) else { return }
        let client = l3.loadNetworkUInt32(at: 12)
        let clientPort = l4.loadNetworkUInt16(at: 0)
        let now = packet.pointee.timestamp
        let key = Self.clientKey(ipProtocol, client, clientPort, serviceIndex)
        var slot = -1
        if let found = byClient.find(key.0, key.1) {
            let connection = connections[Int(found)]
            let backend = Int(connection.backend)
            let usable = connection.expires > now
                && (backend < 0 || services[serviceIndex].states[backend] != .down)
            if usable { slot = Int(found) } else { release(Int(found)) }
        }
        if slot < 0 {
            // A new flow: Maglev on the flow's 5-tuple hash; the fallback when nobody is up.
            let hash = FlowHash.finalize(UInt64(client) << 32 | UInt64(destination) ^ UInt64(clientPort) << 16
                                         ^ UInt64(destinationPort) ^ UInt64(ipProtocol) << 56)
            let backend = services[serviceIndex].table.backend(forHash: hash)
            guard backend >= 0 || configuration.services[serviceIndex].fallback != nil else {
                batch.drop(index, reason: .lbNoBackend)
                return
            }
            guard let free = freeSlots.popLast() else {
                batch.drop(index, reason: .lbTableFull)
                return
            }
            slot = Int(free)
            let target = backend >= 0 ? services[serviceIndex].backends[backend] : configuration.services[serviceIndex].fallback!
            connections[slot] = Connection(client: client, backendAddress: target.address.rawValue, expires: now,
                                           clientPort: clientPort, backendPort: target.port, service: Int16(serviceIndex),
                                           backend: Int16(backend), ipProtocol: ipProtocol, closing: false, used: true)
            byClient.insert(key.0, key.1, value: free)
            let reverse = Self.backendKey(ipProtocol, target.address.rawValue, target.port, client, clientPort)
            byBackend.insert(reverse.0, reverse.1, value: free)
            assignments[configuration.services[serviceIndex].name, default: [:]][target.name, default: 0] += 1
        }
        let connection = connections + slot
        refresh(connection, frame: frame, packet: packet.pointee, now: now)
        let service = configuration.services[serviceIndex]
        packet.pointee.outPort = backendPort
        switch service.mode {
        case .nat:
            rewrite(frame: frame, packet: packet.pointee, addressOffset: 16, portOffset: 2,
                    address: connection.pointee.backendAddress, port: connection.pointee.backendPort)
        case .dsr:
            let backend = Int(connection.pointee.backend)
            let mac = backend >= 0 ? services[serviceIndex].backends[backend].mac : service.fallback?.mac
            if let mac { mac.store(to: frame, at: 0) }
        }
    }

    /// A backend's reply in NAT mode goes back to the client from the VIP.
    func reply(packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let l4 = frame + Int(packet.pointee.l4Offset)
        let ipProtocol = packet.pointee.ipProtocol
        let key = Self.backendKey(ipProtocol, l3.loadNetworkUInt32(at: 12), l4.loadNetworkUInt16(at: 0),
                                  l3.loadNetworkUInt32(at: 16), l4.loadNetworkUInt16(at: 2))
        guard let found = byBackend.find(key.0, key.1) else { return }
        let connection = connections + Int(found)
        let service = configuration.services[Int(connection.pointee.service)]
        guard service.mode == .nat, connection.pointee.expires > packet.pointee.timestamp else { return }
        refresh(connection, frame: frame, packet: packet.pointee, now: packet.pointee.timestamp)
        rewrite(frame: frame, packet: packet.pointee, addressOffset: 12, portOffset: 0,
                address: service.vip.rawValue, port: service.port)
        packet.pointee.outPort = clientPort
    }

    func refresh(_ connection: UnsafeMutablePointer<Connection>, frame: UnsafeMutableRawPointer, packet: PacketMetadata, now: UInt64) {
        let second: UInt64 = 1_000_000_000
        if connection.pointee.ipProtocol == IPProtocol.tcp {
            let flags = TCPFlags(rawValue: frame.loadByte(at: Int(packet.l4Offset) + 13))
            if flags.contains(.fin) || flags.contains(.rst) { connection.pointee.closing = true }
            connection.pointee.expires = now + (connection.pointee.closing ? configuration.tcpClosingTimeout
                                                : configuration.tcpTimeout) * second
        } else {
            connection.pointee.expires = now + configuration.udpTimeout * second
        }
    }

    func rewrite(frame: UnsafeMutableRawPointer, packet: PacketMetadata, addressOffset: Int, portOffset: Int,
                 address: UInt32, port: UInt16) {
        let l3 = frame + Int(packet.l3Offset)
        let l4 = frame + Int(packet.l4Offset)
        let oldAddress = l3.loadNetworkUInt32(at: addressOffset)
        let oldPort = l4.loadNetworkUInt16(at: portOffset)
        l3.storeNetworkUInt32(address, at: addressOffset)
        IPv4Header(l3).checksum = InternetChecksum.updated(IPv4Header(l3).checksum, old: oldAddress, new: address)
        l4.storeNetworkUInt16(port, at: portOffset)
        let checksumOffset = packet.ipProtocol == IPProtocol.tcp ? 16 : 6
        let checksum = l4.loadNetworkUInt16(at: checksumOffset)
        if packet.ipProtocol == IPProtocol.udp && checksum == 0 { return }
        var patched = InternetChecksum.updated(checksum, oldAddress: oldAddress, newAddress: address, oldPort: oldPort, newPort: port)
        if packet.ipProtocol == IPProtocol.udp && patched == 0 { patched = 0xFFFF }
        l4.storeNetworkUInt16(patched, at: checksumOffset)
    }

    func release(_ slot: Int) {
        let connection = connections[slot]
        guard connection.used else { return }
        let key = Self.clientKey(connection.ipProtocol, connection.client, connection.clientPort, Int(connection.service))
        byClient.remove(key.0, key.1)
        let reverse = Self.backendKey(connection.ipProtocol, connection.backendAddress, connection.backendPort,
                                      connection.client, connection.clientPort)
        byBackend.remove(reverse.0, reverse.1)
        connections[slot].used = false
        freeSlots.append(Int32(slot))
    }

    func sweep(now: UInt64) {
        for _ in 0..<min(64, capacity) {
            if connections[sweepCursor].used && connections[sweepCursor].expires <= now { release(sweepCursor) }
            sweepCursor = sweepCursor + 1 == capacity ? 0 : sweepCursor + 1
        }
    }
}
