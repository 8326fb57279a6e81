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
/// Drops: `bad_ipv4_checksum` (an IPv4 TCP/UDP packet whose header checksum is wrong: an
/// incremental update would make a corrupt header look valid; RFC 1812 5.2.2, as Linux drops
/// it in ip_rcv), `lb_no_backend` (no backend up and no fallback), `lb_table_full` (a new flow could
/// not be tracked: every connection slot is live; expired ones are reclaimed first). Traffic that is not for a VIP, or not a reply of a tracked NAT-mode flow,
/// passes unchanged.
public final class LoadBalancerStage: FastPathStage, @unchecked Sendable {
    public let name: String
    public var kind: String { "load-balancer" }
    public let configuration: LoadBalancerConfiguration

    struct Connection {
        var client: UInt32
        var backendAddress: UInt32
        var expires: UInt64
        /// The backend's MAC as a `MACAddress.wireValue` (DSR mode).
        var backendMAC: UInt64
        /// The stage's table generation when the backend was last known usable.
        var generation: UInt32
        var isDSR: Bool
        /// RFC 1624 adjustments (packet byte order) for the NAT-mode rewrites: client to
        /// backend (destination VIP:port -> backend) and back (source backend -> VIP:port).
        var toBackendIP: UInt16
        var toBackendTransport: UInt16
        var toClientIP: UInt16
        var toClientTransport: UInt16
        var clientPort: UInt16
        var backendPort: UInt16
        var service: Int16
        var backend: Int16
        var ipProtocol: UInt8
        var closing: Bool
        var used: Bool
        /// Which admission made the connection (see `FastPathHandle`).
        var serial: UInt32 = 0
    }

    /// What the data path needs of a service for every packet (a plain value: no reference
    /// counting, no exclusivity checks on the per-packet path).
    struct ServiceEntry {
        var vip: UInt32
        var port: UInt16
        var ipProtocol: UInt8
        var isDSR: Bool
    }

    /// Per service: backends, their states, the current Maglev table and the round-robin
    /// rotation (backend indices, each up backend as often as its weight).
    struct ServiceState {
        var backends: [LoadBalancerConfiguration.Backend]
        var states: [BackendState]
        var table: MaglevTable
        var rotation: [Int32]

        init(backends: [LoadBalancerConfiguration.Backend], states: [BackendState], size: Int) {
            self.backends = backends
            self.states = states
            let weights = zip(backends, states).map { $1 == .up ? $0.weight : 0 }
            table = MaglevTable(names: backends.map(\.name), weights: weights, size: size)
            rotation = Self.rotation(weights: weights)
        }

        /// Smooth weighted round robin (as nginx does): each turn every backend gains its
        /// weight, the richest is picked and pays the total; weights 5, 1, 1 give a a b a c a a.
        static func rotation(weights: [Int]) -> [Int32] {
            let total = weights.reduce(0, +)
            var current = [Int](repeating: 0, count: weights.count)
            var order: [Int32] = []
            order.reserveCapacity(total)
            for _ in 0..<total {
                for index in weights.indices { current[index] += weights[index] }
                let pick = current.indices.max { current[$0] < current[$1] }!
                current[pick] -= total
                order.append(Int32(pick))
            }
            return order
        }
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
    let serviceEntries: UnsafeMutablePointer<ServiceEntry>
    /// Bumped at every table swap (of any service); a connection last validated in the current
    /// generation skips the backend-state check.
    var generation: UInt32 = 0
    let serviceCount: Int
    let tcpTimeout: UInt64
    let tcpClosingTimeout: UInt64
    let udpTimeout: UInt64
    let control: Mutex<ControlState>
    let updatesPending = Atomic<Bool>(false)
    let connections: UnsafeMutablePointer<Connection>
    let byClient: IndexTable
    let byBackend: IndexTable
    var freeSlots: [Int32]
    let capacity: Int
    var sweepCursor = 0
    /// Connections admitted so far (the serial of the last one).
    var admittedCount: UInt32 = 0
    public var fastPathLink: FastPathLink?
    /// Per service: the next turn of its round-robin rotation.
    var rotationCursors: [Int]
    /// New flows assigned, per service and backend (by name).
    public private(set) var assignments: [String: [String: UInt64]] = [:]

    /// A load-balancer stage; `portIndex` maps chain port names to numbers.
    public init(name: String, configuration: LoadBalancerConfiguration, portIndex: [String: UInt16]) {
        self.name = name
        self.configuration = configuration
        clientPort = portIndex[configuration.clientPort] ?? UInt16.max
        backendPort = portIndex[configuration.backendPort] ?? UInt16.max
        services = configuration.services.map { service in
            ServiceState(backends: service.backends, states: service.backends.map { _ in .up }, size: configuration.tableSize)
        }
        rotationCursors = configuration.services.map { _ in 0 }
        control = Mutex(
            ControlState(
                backends: configuration.services.map(\.backends),
                administrative: configuration.services.map { $0.backends.map { _ in .up } },
                healthy: configuration.services.map { $0.backends.map { _ in true } }))
        serviceCount = configuration.services.count
        serviceEntries = .allocate(capacity: max(serviceCount, 1))
        for (index, service) in configuration.services.enumerated() {
            (serviceEntries + index).initialize(
                to: ServiceEntry(
                    vip: service.vip.rawValue, port: service.port, ipProtocol: service.ipProtocol,
                    isDSR: service.mode == .dsr))
        }
        let second: UInt64 = 1_000_000_000
        tcpTimeout = configuration.tcpTimeout * second
        tcpClosingTimeout = configuration.tcpClosingTimeout * second
        udpTimeout = configuration.udpTimeout * second
        capacity = max(configuration.connectionCapacity, 1)
        connections = .allocate(capacity: capacity)
        connections.initialize(
            repeating: Connection(
                client: 0, backendAddress: 0, expires: 0, backendMAC: 0, generation: 0,
                isDSR: false, toBackendIP: 0, toBackendTransport: 0, toClientIP: 0, toClientTransport: 0,
                clientPort: 0, backendPort: 0,
                service: 0, backend: 0, ipProtocol: 0, closing: false, used: false),
            count: capacity)
        freeSlots = (0..<Int32(capacity)).reversed()
        byClient = IndexTable(capacity: capacity)
        byBackend = IndexTable(capacity: capacity)
    }

    deinit {
        connections.deallocate()
        serviceEntries.deallocate()
    }

    /// Connections tracked.
    public var connectionCount: Int { byClient.count }

    // MARK: Control

    /// Takes the tables the control side left (at a batch boundary).
    func pickUpUpdates() {
        let updates = control.withLock { state in
            let pending = state.pending
            state.pending = [:]
            updatesPending.store(false, ordering: .relaxed)
            return pending
        }
        for (serviceIndex, service) in updates { services[serviceIndex] = service }
        generation &+= 1
    }

    /// The backend index Maglev gives a flow of `service` in the table the data path uses now
    /// (no connection state involved).
    public func pick(service: Int, hash: UInt64) -> Int { services[service].table.backend(forHash: hash) }

    // MARK: Data path

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        if updatesPending.load(ordering: .acquiring) { pickUpUpdates() }
        // Two copies of the loop: without a fast path, not even a test per packet for noting.
        if let link = fastPathLink {
            balance(batch, noting: link)
        } else {
            balance(batch, noting: FastPathOff())
        }
    }

    @inline(__always)
    func balance<Noting: FastPathNoting>(_ batch: PacketBatch, noting: Noting) {
        let count = batch.count
        guard count > 0 else { return }
        let inPort = batch.metadata[0].inPort
        let fromClients = inPort == clientPort
        guard fromClients || inPort == backendPort else { return }
        let metadata = batch.metadata
        let pool = batch.pool
        let wanted = PacketFlags.ipv4.rawValue | PacketFlags.hasL4.rawValue
        let unwanted = PacketFlags.laterFragment.rawValue
        if fromClients {
            for index in 0..<count {
                let packet = metadata + index
                let ipProtocol = packet.pointee.ipProtocol
                // IPv4 TCP or UDP with its transport header (not a later fragment).
                guard packet.pointee.flags.rawValue & (wanted | unwanted) == wanted else {
                    if Noting.isNoting { noting.link.note(packet.pointee, noting.link.pass) }  // not IPv4: not for a service
                    continue
                }
                let frame = pool.slot(packet.pointee.id) + Int(packet.pointee.dataOffset)
                guard packet.pointee.hasValidIPv4HeaderChecksum(frame) else {
                    batch.drop(index, reason: .badIPv4Checksum)
                    continue
                }
                // The fast path, specialised per protocol so offsets and timeouts are constants.
                if ipProtocol == IPProtocol.udp {
                    if forwardEstablished(packet, frame: frame, isUDP: true, noting: noting) { continue }
                } else if ipProtocol == IPProtocol.tcp {
                    if forwardEstablished(packet, frame: frame, isUDP: false, noting: noting) { continue }
                } else {
                    continue
                }
                balance(index, packet: packet, frame: frame, batch: batch, noting: noting)
            }
        } else {
            for index in 0..<count {
                let packet = metadata + index
                let ipProtocol = packet.pointee.ipProtocol
                guard packet.pointee.flags.rawValue & (wanted | unwanted) == wanted,
                    ipProtocol == IPProtocol.tcp || ipProtocol == IPProtocol.udp
                else { continue }
                let frame = pool.slot(packet.pointee.id) + Int(packet.pointee.dataOffset)
                guard packet.pointee.hasValidIPv4HeaderChecksum(frame) else {
                    batch.drop(index, reason: .badIPv4Checksum)
                    continue
                }
                reply(packet: packet, frame: frame, noting: noting)
            }
        }
        sweep(now: metadata[count - 1].timestamp)
    }

    /// The client-side key of a connection: the client's address and port, the VIP and its
    /// port, the protocol, laid out as the packet has them (so the fast path builds it from
    /// three loads, without byte swaps).
    @inline(__always)
    static func clientKey(_ ipProtocol: UInt8, _ client: UInt32, _ clientPort: UInt16, _ vip: UInt32, _ vipPort: UInt16) -> (UInt64, UInt64) {
        (
            UInt64(client.bigEndian) | UInt64(UInt32(clientPort.bigEndian) | UInt32(vipPort.bigEndian) << 16) << 32,
            UInt64(vip.bigEndian) | UInt64(ipProtocol) << 32
        )
    }

    static func backendKey(
        _ ipProtocol: UInt8, _ backend: UInt32, _ backendPort: UInt16, _ client: UInt32,
        _ clientPort: UInt16
    ) -> (UInt64, UInt64) {
        (UInt64(ipProtocol) << 48 | UInt64(backendPort) << 32 | UInt64(backend), UInt64(client) << 16 | UInt64(clientPort))
    }

    /// The service a destination belongs to, or -1.
    @inline(__always)
    func serviceIndex(address: UInt32, port: UInt16, ipProtocol: UInt8) -> Int {
        for index in 0..<serviceCount {
            let entry = serviceEntries[index]
            if entry.vip == address && entry.port == port && entry.ipProtocol == ipProtocol { return index }
        }
        return -1
    }

    /// The fast path: a packet of a tracked flow whose service table has not changed since the
    /// flow last passed. Returns false for everything else (new flows, table swaps, expiry,
    /// traffic for no service), which `balance` handles.
    @inline(__always)
    func forwardEstablished<Noting: FastPathNoting>(
        _ packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer, isUDP: Bool, noting: Noting
    ) -> Bool {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let l4 = frame + Int(packet.pointee.l4Offset)
        let first =
            UInt64(l3.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            | UInt64(l4.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) << 32
        let second =
            UInt64(l3.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            | UInt64(isUDP ? IPProtocol.udp : IPProtocol.tcp) << 32
        guard let found = byClient.find(first, second) else { return false }
        let connection = connections + Int(found)
        let now = packet.pointee.timestamp
        guard connection.pointee.expires > now, connection.pointee.generation == generation else { return false }
        forward(connection, packet: packet, frame: frame, isUDP: isUDP)
        if Noting.isNoting { note(noting.link, packet.pointee, connection) }
        return true
    }

    /// Sends a client's packet to the connection's backend.
    @inline(__always)
    func forward(
        _ connection: UnsafeMutablePointer<Connection>, packet: UnsafeMutablePointer<PacketMetadata>,
        frame: UnsafeMutableRawPointer, isUDP: Bool
    ) {
        refresh(connection, frame: frame, packet: packet.pointee, isUDP: isUDP)
        packet.pointee.outPort = backendPort
        if connection.pointee.isDSR {
            if connection.pointee.backendMAC != 0 { MACAddress.storeWire(connection.pointee.backendMAC, to: frame, at: 0) }
        } else {
            EndpointRewrite.rewrite(
                .destination, of: frame, packet: packet.pointee, isUDP: isUDP,
                addressWire: connection.pointee.backendAddress.bigEndian, portWire: connection.pointee.backendPort.bigEndian,
                ipAdjustment: connection.pointee.toBackendIP, transportAdjustment: connection.pointee.toBackendTransport)
        }
    }

    /// Everything the fast path leaves: finds the service, revalidates or replaces the tracked
    /// connection, admits new flows.
    @inline(never)
    func balance<Noting: FastPathNoting>(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer, batch: PacketBatch,
        noting: Noting
    ) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let l4 = frame + Int(packet.pointee.l4Offset)
        let ipProtocol = packet.pointee.ipProtocol
        let destination = l3.loadNetworkUInt32(at: 16)
        let destinationPort = l4.loadNetworkUInt16(at: 2)
        let serviceIndex = serviceIndex(address: destination, port: destinationPort, ipProtocol: ipProtocol)
        guard serviceIndex >= 0 else {
            if Noting.isNoting { noting.link.note(packet.pointee, noting.link.pass) }  // for no service: passes while the services stay
            return
        }
        let client = l3.loadNetworkUInt32(at: 12)
        let clientPort = l4.loadNetworkUInt16(at: 0)
        let now = packet.pointee.timestamp
        let key = Self.clientKey(ipProtocol, client, clientPort, destination, destinationPort)
        var slot = -1
        if let found = byClient.find(key.0, key.1) {
            let connection = connections + Int(found)
            if connection.pointee.expires > now
                && (connection.pointee.generation == generation || stillUsable(connection))
            {
                slot = Int(found)
            } else {
                release(Int(found))
            }
        }
        if slot < 0 {
            slot = admit(
                client: client, clientPort: clientPort, destination: destination, destinationPort: destinationPort,
                ipProtocol: ipProtocol, serviceIndex: serviceIndex, key: key, now: now)
            guard slot >= 0 else {
                batch.drop(index, reason: slot == -1 ? .lbNoBackend : .lbTableFull)
                return
            }
        }
        forward(connections + slot, packet: packet, frame: frame, isUDP: ipProtocol == IPProtocol.udp)
        if Noting.isNoting { note(noting.link, packet.pointee, connections + slot) }
    }

    /// After a table swap: the connection keeps its backend unless that backend is down.
    @inline(never)
    func stillUsable(_ connection: UnsafeMutablePointer<Connection>) -> Bool {
        let serviceIndex = Int(connection.pointee.service)
        let backend = Int(connection.pointee.backend)
        guard backend < 0 || services[serviceIndex].states[backend] != .down else { return false }
        connection.pointee.generation = generation
        return true
    }

    /// A new flow: the service's scheduler (Maglev on the flow's 5-tuple hash, or the next turn
    /// of the round robin), or the fallback when nobody is up.
    /// Returns the connection slot, -1 when there is no backend, -2 when the table is full.
    @inline(never)
    func admit(
        client: UInt32, clientPort: UInt16, destination: UInt32, destinationPort: UInt16, ipProtocol: UInt8,
        serviceIndex: Int, key: (UInt64, UInt64), now: UInt64
    ) -> Int {
        let hash = FlowHash.finalize(
            UInt64(client) << 32 | UInt64(destination) ^ UInt64(clientPort) << 16
                ^ UInt64(destinationPort) ^ UInt64(ipProtocol) << 56)
        let service = configuration.services[serviceIndex]
        let backend: Int
        if service.scheduler == .roundRobin {
            let rotation = services[serviceIndex].rotation
            if rotation.isEmpty {
                backend = -1
            } else {
                backend = Int(rotation[rotationCursors[serviceIndex] % rotation.count])
                rotationCursors[serviceIndex] &+= 1
            }
        } else {
            backend = services[serviceIndex].table.backend(forHash: hash)
        }
        guard backend >= 0 || service.fallback != nil else { return -1 }
        return install(
            client: client, clientPort: clientPort, destination: destination, destinationPort: destinationPort,
            ipProtocol: ipProtocol, serviceIndex: serviceIndex, backend: backend, key: key, now: now)
    }

    /// Tracks a connection of service `serviceIndex` from `client`:`clientPort` to backend
    /// `backend` (-1: the fallback), indexed both ways; expires at `now` until its first
    /// packet refreshes it. Returns the slot, or -2 when every slot is live.
    func install(
        client: UInt32, clientPort: UInt16, destination: UInt32, destinationPort: UInt16, ipProtocol: UInt8,
        serviceIndex: Int, backend: Int, key: (UInt64, UInt64), now: UInt64
    ) -> Int {
        let service = configuration.services[serviceIndex]
        if freeSlots.isEmpty { sweep(now: now) }  // reclaim expired connections before refusing
        guard let free = freeSlots.popLast() else { return -2 }
        let target = backend >= 0 ? services[serviceIndex].backends[backend] : service.fallback!
        let toBackend = InternetChecksum.adjustments(
            oldAddress: destination, newAddress: target.address.rawValue,
            oldPort: destinationPort, newPort: target.port)
        let toClient = InternetChecksum.adjustments(
            oldAddress: target.address.rawValue, newAddress: destination,
            oldPort: target.port, newPort: destinationPort)
        connections[Int(free)] = Connection(
            client: client, backendAddress: target.address.rawValue, expires: now,
            backendMAC: target.mac?.wireValue ?? 0,
            generation: generation, isDSR: service.mode == .dsr,
            toBackendIP: toBackend.address.bigEndian, toBackendTransport: toBackend.addressAndPort.bigEndian,
            toClientIP: toClient.address.bigEndian, toClientTransport: toClient.addressAndPort.bigEndian,
            clientPort: clientPort,
            backendPort: target.port, service: Int16(serviceIndex), backend: Int16(backend),
            ipProtocol: ipProtocol, closing: false, used: true)
        renumber(connections + Int(free))
        byClient.insert(key.0, key.1, value: free)
        let reverse = Self.backendKey(ipProtocol, target.address.rawValue, target.port, client, clientPort)
        byBackend.insert(reverse.0, reverse.1, value: free)
        assignments[service.name, default: [:]][target.name, default: 0] += 1
        return Int(free)
    }

    /// A backend's reply in NAT mode goes back to the client from the VIP.
    func reply<Noting: FastPathNoting>(packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer, noting: Noting) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let l4 = frame + Int(packet.pointee.l4Offset)
        let ipProtocol = packet.pointee.ipProtocol
        let key = Self.backendKey(
            ipProtocol, l3.loadNetworkUInt32(at: 12), l4.loadNetworkUInt16(at: 0),
            l3.loadNetworkUInt32(at: 16), l4.loadNetworkUInt16(at: 2))
        guard let found = byBackend.find(key.0, key.1) else { return }
        let connection = connections + Int(found)
        let service = serviceEntries[Int(connection.pointee.service)]
        guard !service.isDSR, connection.pointee.expires > packet.pointee.timestamp else { return }
        refresh(connection, frame: frame, packet: packet.pointee, isUDP: ipProtocol == IPProtocol.udp)
        EndpointRewrite.rewrite(
            .source, of: frame, packet: packet.pointee, isUDP: ipProtocol == IPProtocol.udp,
            addressWire: service.vip.bigEndian, portWire: service.port.bigEndian,
            ipAdjustment: connection.pointee.toClientIP, transportAdjustment: connection.pointee.toClientTransport)
        packet.pointee.outPort = clientPort
        if Noting.isNoting { note(noting.link, packet.pointee, connection) }
    }

    /// Pushes the connection's expiry out: UDP `udpTimeout` after its last packet, TCP
    /// `tcpTimeout`, or `tcpClosingTimeout` once a FIN or RST was seen.
    @inline(__always)
    func refresh(_ connection: UnsafeMutablePointer<Connection>, frame: UnsafeMutableRawPointer, packet: PacketMetadata, isUDP: Bool) {
        let now = packet.timestamp
        if isUDP {
            connection.pointee.expires = now &+ udpTimeout
            return
        }
        let flags = TCPFlags(rawValue: frame.loadByte(at: Int(packet.l4Offset) &+ 13))
        if (flags.contains(.fin) || flags.contains(.rst)) && !connection.pointee.closing {
            connection.pointee.closing = true
            renumber(connection)  // its timeout changed: what was leased on it is over
        }
        connection.pointee.expires = now &+ (connection.pointee.closing ? tcpClosingTimeout : tcpTimeout)
    }

    func release(_ slot: Int) {
        let connection = connections[slot]
        guard connection.used else { return }
        let service = serviceEntries[Int(connection.service)]
        let key = Self.clientKey(connection.ipProtocol, connection.client, connection.clientPort, service.vip, service.port)
        byClient.remove(key.0, key.1)
        let reverse = Self.backendKey(
            connection.ipProtocol, connection.backendAddress, connection.backendPort,
            connection.client, connection.clientPort)
        byBackend.remove(reverse.0, reverse.1)
        connections[slot].used = false
        connections[slot].serial = 0
        freeSlots.append(Int32(slot))
    }

    /// Releases expired connections among the next `slotBudget` slots.
    func sweep(now: UInt64, slotBudget: Int = 64) {
        for _ in 0..<min(slotBudget, capacity) {
            if connections[sweepCursor].used && connections[sweepCursor].expires <= now { release(sweepCursor) }
            sweepCursor = sweepCursor + 1 == capacity ? 0 : sweepCursor + 1
        }
    }
}
