import NFVPacket
import NFVPipeline

/// The router VNF: forwards IPv4 and IPv6 between its interfaces by longest-prefix match,
/// resolving next hops with ARP and neighbour discovery.
///
/// Per packet: frames not addressed to the interface's MAC (or broadcast/multicast) are
/// refused; ARP and neighbour discovery are answered and learnt from; echo requests to the
/// router's addresses are answered; everything else is routed: the IPv4 header checksum is
/// verified, the TTL / hop limit decremented (IPv4 checksum patched incrementally), the MACs
/// rewritten for the egress interface and next hop, and `outPort` set. A packet whose next hop
/// is not resolved yet is held (a bounded queue per neighbour) while an ARP request / neighbour
/// solicitation goes out, and sent when the answer arrives.
///
/// Drops: `bad_ipv4_checksum`; `martian_source` (RFC 1812 5.3.7 / RFC 4291 sources that can
/// never be real); `not_routed_multicast` (multicast, limited or directed broadcast, foreign
/// link-local destinations); `no_route` (ICMP destination unreachable, network); `ttl_expired`
/// / `hop_limit_expired` (ICMP time exceeded); `needs_fragmentation` (DF set or IPv6, larger
/// than the egress MTU: ICMP fragmentation needed / packet too big with the MTU; a GSO
/// super-frame is checked per segment, IP and transport headers plus its segment size);
/// `fragmentation_not_supported` (larger than the MTU without DF: this router does not
/// fragment); `neighbor_unresolved` (the next hop's queue is full or the table has no room);
/// `consumed` (ARP, ND, echo requests and other traffic for the router itself);
/// `unsupported_ethertype`, `no_interface`, `wrong_destination_mac`, `not_parsed` (the frame
/// did not pass the chain's parse stage). ICMP errors are rate
/// limited by a token bucket and come from the ingress interface's address.
public final class RouterStage: FastPathStage, IdleWork {
    public let name: String
    public var kind: String { "router" }
    /// The configuration the stage runs.
    public internal(set) var configuration: RouterConfiguration
    /// ARP / ND neighbours.
    public let neighbors: NeighborTable
    /// Control-plane and error counters.
    public let counters = RouterCounters()
    /// The IPv4 and IPv6 forwarding tables.
    public internal(set) var ipv4Table: PrefixTrie
    public internal(set) var ipv6Table: PrefixTrie

    @usableFromInline static let localFlag: UInt32 = 1 << 31
    @usableFromInline static let noForwardFlag: UInt32 = 1 << 30

    let interfaces: [RouterInterface]
    let interfacePort: UnsafeMutablePointer<UInt16>
    let interfaceMAC: UnsafeMutablePointer<UInt64>
    /// `interfaceMAC` in wire byte order.
    let interfaceWireMAC: UnsafeMutablePointer<UInt64>
    let interfaceMTU: UnsafeMutablePointer<Int>
    let portInterface: UnsafeMutablePointer<Int16>  // by chain port (0..<256), -1 = none
    /// Everything forwarding needs about a route, in one place (one cache line).
    struct NextHop {
        /// The gateway, or unspecified for an on-link route.
        var gateway: IPv6Address
        /// The egress interface's MAC in wire order.
        var sourceWireMAC: UInt64
        /// The egress interface's MTU.
        var mtu: Int
        /// The egress interface.
        var interface: Int32
        /// The Ethernet addresses as the packet carries them (the gateway's MAC, then the
        /// interface's), as one 8-byte and one 4-byte store on a little-endian host; valid while
        /// `resolvedEpoch` is the table's epoch and until `resolvedUntil`.
        var addressesHead: UInt64 = 0
        var addressesTail: UInt32 = 0
        var resolvedUntil: UInt64
        var resolvedEpoch: UInt64
        /// The egress chain port.
        var port: UInt16
        /// True when `gateway` is set.
        var hasGateway: Bool
    }

    var nextHops: UnsafeMutablePointer<NextHop>
    let portIndex: [String: UInt16]
    let updates = UpdateMailbox<RouteTables>()
    public var fastPathLink: FastPathLink?

    /// The route tables a batch uses.
    struct Routes {
        let ipv4: PrefixTrie
        let ipv6: PrefixTrie
        let nextHops: UnsafeMutablePointer<NextHop>
    }

    var icmpBucket: TokenBucket
    let neighborTimeout: UInt64
    /// Bumped whenever a neighbour is learnt or changes: invalidates the routes' cached MACs
    /// (and the chain's cached flows through them, whose leases watch its low word).
    var neighborEpoch: UInt64 {
        get { neighborEpochStorage.pointee }
        set { neighborEpochStorage.pointee = newValue }
    }
    let neighborEpochStorage: UnsafeMutablePointer<UInt64> = {
        let storage = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        storage.initialize(to: 1)
        return storage
    }()
    /// First octets that can never be an IPv4 source (RFC 1812 5.3.7): 0, 127, 224-255.
    let martianFirstOctet: UnsafeMutablePointer<Bool>

    /// A router stage; `portIndex` maps the chain's port names to numbers. The configuration
    /// must be valid (`RouterConfigLoader` checks it): every interface's port exists and every
    /// route's egress interface is known or derivable.
    public init(name: String, configuration: RouterConfiguration, portIndex: [String: UInt16]) {
        self.name = name
        self.configuration = configuration
        let interfaces = configuration.interfaces
        self.interfaces = interfaces
        let count = interfaces.count
        interfacePort = .allocate(capacity: max(count, 1))
        interfaceMAC = .allocate(capacity: max(count, 1))
        interfaceWireMAC = .allocate(capacity: max(count, 1))
        interfaceMTU = .allocate(capacity: max(count, 1))
        portInterface = .allocate(capacity: 256)
        portInterface.initialize(repeating: -1, count: 256)
        for (index, interface) in interfaces.enumerated() {
            let port = portIndex[interface.port] ?? UInt16.max
            (interfacePort + index).initialize(to: port)
            (interfaceMAC + index).initialize(to: interface.mac.rawValue)
            (interfaceWireMAC + index).initialize(to: interface.mac.wireValue)
            (interfaceMTU + index).initialize(to: interface.mtu)
            if port < 256 { portInterface[Int(port)] = Int16(index) }
        }
        self.portIndex = portIndex
        let tables = Self.routeTables(configuration, portIndex: portIndex)
        nextHops = .allocate(capacity: max(tables.nextHops.count, 1))
        nextHops.initialize(from: tables.nextHops, count: tables.nextHops.count)
        ipv4Table = tables.ipv4
        ipv6Table = tables.ipv6
        neighbors = NeighborTable(capacity: configuration.neighborCapacity, queueDepth: configuration.pendingPacketsPerNeighbor)
        icmpBucket = TokenBucket(rate: configuration.icmpErrorsPerSecond, burst: configuration.icmpErrorsPerSecond)
        neighborTimeout = configuration.neighborTimeout &* 1_000_000_000
        martianFirstOctet = .allocate(capacity: 256)
        for octet in 0..<256 { (martianFirstOctet + octet).initialize(to: octet == 0 || octet == 127 || octet >= 224) }
        for neighbor in configuration.staticNeighbors {
            let interface = interfaces.firstIndex { $0.addresses.contains { $0.subnet.contains(neighbor.address) } } ?? 0
            let slot = neighbors.findOrCreate(neighbor.address, interface: interface, now: 0)
            guard slot >= 0 else { continue }
            var entry = neighbors[slot]
            entry.mac = neighbor.mac.rawValue
            entry.wireMAC = neighbor.mac.wireValue
            entry.reachableUntil = .max
            neighbors[slot] = entry
        }
    }

    /// Live updates applied so far.
    public var updateCount: Int { updates.takenCount.load(ordering: .relaxed) }

    deinit {
        neighborEpochStorage.deallocate()
        interfacePort.deallocate()
        interfaceMAC.deallocate()
        interfaceWireMAC.deallocate()
        interfaceMTU.deallocate()
        portInterface.deallocate()
        nextHops.deallocate()
        martianFirstOctet.deallocate()
    }

    /// Takes posted routes while no packet comes.
    public func idle(now: UInt64) {
        if let tables = updates.take() { adopt(tables) }
    }

    public func process(_ batch: PacketBatch, emit: PacketBatch) {
        if let tables = updates.take() { adopt(tables) }
        // Two copies of the loop: without a fast path, not even a test per packet for noting.
        if let link = fastPathLink {
            route(batch, emit: emit, noting: link)
        } else {
            route(batch, emit: emit, noting: FastPathOff())
        }
    }

    @inline(__always)
    func route<Noting: FastPathNoting>(_ batch: PacketBatch, emit: PacketBatch, noting: Noting) {
        let metadata = batch.metadata
        let pool = batch.pool
        let count = batch.count
        guard count > 0 else { return }
        let latest = metadata[count - 1].timestamp  // batches arrive in time order
        // A batch comes from one port: one ingress interface for all of it.
        let inPort = Int(metadata[0].inPort)
        let interface = inPort < 256 ? Int(portInterface[inPort]) : -1
        guard interface >= 0 else {
            for index in 0..<count { batch.drop(index, reason: .noInterface) }
            return
        }
        let ingressWireMAC = interfaceWireMAC[interface]
        // The swappable tables, read once per batch (per packet they would be class `var`
        // reads, each a dynamic exclusivity check).
        let routes = Routes(ipv4: ipv4Table, ipv6: ipv6Table, nextHops: nextHops)
        for index in 0..<count {
            let packet = metadata + index
            let frame = pool.slot(packet.pointee.id) + Int(packet.pointee.dataOffset)
            // Unicast (I/G bit clear in the first byte) to another MAC: not for this router.
            let destinationMAC = MACAddress.loadWire(from: frame, at: 0)
            if destinationMAC & 1 == 0 && destinationMAC != ingressWireMAC {
                batch.drop(index, reason: .wrongDestinationMAC)
                continue
            }
            let flags = packet.pointee.flags
            if flags.contains(.ipv4) {
                if forwardIPv4Quickly(packet: packet, frame: frame, routes: routes, noting: noting) { continue }
                routeIPv4(index, packet: packet, frame: frame, interface: interface, routes: routes, batch: batch, emit: emit)
            } else if flags.contains(.ipv6) {
                routeIPv6(index, packet: packet, frame: frame, interface: interface, routes: routes, batch: batch, emit: emit)
            } else if packet.pointee.etherType == EtherType.arp && flags.contains(.parsed) {
                handleARP(index, packet: packet.pointee, frame: frame, interface: interface, batch: batch, emit: emit)
            } else {
                batch.drop(index, reason: flags.contains(.parsed) ? .unsupportedEtherType : .notParsed)
            }
        }
        sweepNeighbors(now: latest, emit: emit)
    }

    // MARK: IPv4

    /// The common case, inline: a valid unicast IPv4 packet with TTL to spare that fits the
    /// egress MTU (its header checksum always summed here: consulting
    /// `PacketMetadata.verifiedChecksums` cost this loop 13 instructions per packet, more than
    /// the sum), routed through a gateway whose MAC the route has cached or to an on-link
    /// neighbour that is reachable. Returns false without touching the packet when anything
    /// else applies; `routeIPv4` then decides.
    @inline(__always)
    func forwardIPv4Quickly<Noting: FastPathNoting>(
        packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer, routes: Routes, noting: Noting
    ) -> Bool {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let ip = IPv4Header(l3)
        let destination = l3.loadNetworkUInt32(at: 16)
        // `entry` is the route's value + 1 (0: none); below 1 << 30 after the subtraction it is
        // neither missing nor local nor never-forwarded.
        let entry = routes.ipv4.lookupEntry(ipv4: destination)
        guard destination >> 28 < 0xE, !martianFirstOctet[Int(l3.loadByte(at: 12))], ip.ttl > 1,
            ip.isChecksumValid,
            entry &- 1 < Self.noForwardFlag
        else { return false }
        let value = entry &- 1
        let hop = routes.nextHops[Int(value)]  // a copy: its fields stay in registers
        let now = packet.pointee.timestamp
        // A super-frame longer than the MTU takes routeIPv4, which checks it per segment.
        guard Int(ip.totalLength) <= hop.mtu else { return false }
        if hop.hasGateway {
            guard hop.resolvedEpoch == neighborEpoch, hop.resolvedUntil > now else { return false }
            ip.decrementTTL()
            frame.storeBytes(of: hop.addressesHead, as: UInt64.self)
            frame.storeBytes(of: hop.addressesTail, toByteOffset: 8, as: UInt32.self)
            if Noting.isNoting { noteGateway(noting.link, packet.pointee, hop: routes.nextHops + Int(value), mtu: hop.mtu) }
        } else {
            let slot = neighbors.find(IPv6Address(ipv4Mapped: IPv4Address(rawValue: destination)))
            guard slot >= 0 else { return false }
            let neighbor = neighbors.entries + slot
            guard neighbor.pointee.reachableUntil > now else { return false }
            ip.decrementTTL()
            MACAddress.storeWire(neighbor.pointee.wireMAC, to: frame, at: 0)
            MACAddress.storeWire(hop.sourceWireMAC, to: frame, at: 6)
            if Noting.isNoting { noteNeighbor(noting.link, packet.pointee, neighbor: neighbor, mtu: hop.mtu) }
        }
        packet.pointee.outPort = hop.port
        return true
    }

    @inline(__always)
    func routeIPv4(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        interface: Int, routes: Routes, batch: PacketBatch, emit: PacketBatch
    ) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let ip = IPv4Header(l3)
        guard packet.pointee.hasValidIPv4HeaderChecksum(frame) else {
            batch.drop(index, reason: .badIPv4Checksum)
            return
        }
        if martianFirstOctet[Int(l3.loadByte(at: 12))] {
            batch.drop(index, reason: .martianSource)
            return
        }
        let destination = ip.destination.rawValue
        if destination >> 28 >= 0xE {  // multicast, class E, limited broadcast
            batch.drop(index, reason: .notRoutedMulticast)
            return
        }
        guard let value = routes.ipv4.lookup(ipv4: destination) else {
            sendICMPError(type: 3, code: 0, rest: 0, packet: packet.pointee, frame: frame, interface: interface, emit: emit)
            batch.drop(index, reason: .noRoute)
            return
        }
        if value & (Self.localFlag | Self.noForwardFlag) != 0 {
            deliverLocally(index, value: value, packet: packet.pointee, frame: frame, interface: interface, batch: batch, emit: emit)
            return
        }
        if ip.ttl <= 1 {
            sendICMPError(type: 11, code: 0, rest: 0, packet: packet.pointee, frame: frame, interface: interface, emit: emit)
            batch.drop(index, reason: .ttlExpired)
            return
        }
        let hop = routes.nextHops + Int(value)
        let mtu = hop.pointee.mtu
        let ipLength = Int(ip.totalLength)
        if ipLength > mtu && SoftwareOffload.segmentIPLength(frame, metadata: packet.pointee, ipLength: ipLength) > mtu {
            if ip.dontFragment {
                sendICMPError(type: 3, code: 4, rest: UInt32(mtu), packet: packet.pointee, frame: frame, interface: interface, emit: emit)
                batch.drop(index, reason: .needsFragmentation)
            } else {
                batch.drop(index, reason: .fragmentationNotSupported)
            }
            return
        }
        ip.decrementTTL()
        if hop.pointee.hasGateway {
            forwardToGateway(index, hop: hop, packet: packet, frame: frame, batch: batch, emit: emit)
        } else {
            forward(
                index, packet: packet, frame: frame, egress: Int(hop.pointee.interface),
                nextHop: IPv6Address(ipv4Mapped: IPv4Address(rawValue: destination)), batch: batch, emit: emit)
        }
    }

    // MARK: IPv6

    @inline(__always)
    func routeIPv6(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        interface: Int, routes: Routes, batch: PacketBatch, emit: PacketBatch
    ) {
        let l3 = frame + Int(packet.pointee.l3Offset)
        let ip = IPv6Header(l3)
        let source = ip.source
        let destination = ip.destination
        if packet.pointee.ipProtocol == IPProtocol.icmpv6 && packet.pointee.flags.contains(.hasL4) {
            let type = frame.loadByte(at: Int(packet.pointee.l4Offset))
            if type >= 133 && type <= 137 {
                handleNeighborDiscovery(
                    index, type: type, packet: packet.pointee, frame: frame, interface: interface,
                    batch: batch, emit: emit)
                return
            }
        }
        if source.isMulticast || source == .unspecified || source == IPv6Address(high: 0, low: 1) {
            batch.drop(index, reason: .martianSource)
            return
        }
        if destination.isMulticast {
            batch.drop(index, reason: .notRoutedMulticast)
            return
        }
        guard let value = routes.ipv6.lookup(ipv6: destination) else {
            sendICMPError(type: 1, code: 0, rest: 0, packet: packet.pointee, frame: frame, interface: interface, emit: emit)
            batch.drop(index, reason: .noRoute)
            return
        }
        if value & (Self.localFlag | Self.noForwardFlag) != 0 {
            deliverLocally(index, value: value, packet: packet.pointee, frame: frame, interface: interface, batch: batch, emit: emit)
            return
        }
        if ip.hopLimit <= 1 {
            sendICMPError(type: 3, code: 0, rest: 0, packet: packet.pointee, frame: frame, interface: interface, emit: emit)
            batch.drop(index, reason: .hopLimitExpired)
            return
        }
        let hop = routes.nextHops + Int(value)
        let mtu = hop.pointee.mtu
        let ipLength = 40 + Int(ip.payloadLength)
        if ipLength > mtu && SoftwareOffload.segmentIPLength(frame, metadata: packet.pointee, ipLength: ipLength) > mtu {
            sendICMPError(type: 2, code: 0, rest: UInt32(mtu), packet: packet.pointee, frame: frame, interface: interface, emit: emit)
            batch.drop(index, reason: .needsFragmentation)
            return
        }
        ip.hopLimit &-= 1
        if hop.pointee.hasGateway {
            forwardToGateway(index, hop: hop, packet: packet, frame: frame, batch: batch, emit: emit)
        } else {
            forward(
                index, packet: packet, frame: frame, egress: Int(hop.pointee.interface), nextHop: destination,
                batch: batch, emit: emit)
        }
    }

    // MARK: Egress

    /// Rewrites the source MAC for `egress` and sends the packet to `nextHop`'s MAC, or holds it
    /// while the neighbour is resolved.
    @inline(__always)
    func forward(
        _ index: Int, packet: UnsafeMutablePointer<PacketMetadata>, frame: UnsafeMutableRawPointer,
        egress: Int, nextHop: IPv6Address, batch: PacketBatch, emit: PacketBatch
    ) {
        MACAddress.storeWire(interfaceWireMAC[egress], to: frame, at: 6)
        packet.pointee.outPort = interfacePort[egress]
        let now = packet.pointee.timestamp
        let slot = neighbors.find(nextHop)
        if slot >= 0 {
            let entry = neighbors.entries + slot
            if entry.pointee.reachableUntil > now {
                MACAddress.storeWire(entry.pointee.wireMAC, to: frame, at: 0)
                return
            }
        }
        hold(index, packet: packet.pointee, egress: egress, nextHop: nextHop, batch: batch, emit: emit)
    }

    /// Sends the packet to the gateway of route `hop`, using the MAC the route cached while no
    /// neighbour changed since (epoch) and the entry it came from is still reachable.
    @inline(__always)
    func forwardToGateway(
        _ index: Int, hop: UnsafeMutablePointer<NextHop>, packet: UnsafeMutablePointer<PacketMetadata>,
        frame: UnsafeMutableRawPointer, batch: PacketBatch, emit: PacketBatch
    ) {
        if hop.pointee.resolvedEpoch == neighborEpoch && hop.pointee.resolvedUntil > packet.pointee.timestamp {
            frame.storeBytes(of: hop.pointee.addressesHead, as: UInt64.self)
            frame.storeBytes(of: hop.pointee.addressesTail, toByteOffset: 8, as: UInt32.self)
            packet.pointee.outPort = hop.pointee.port
            return
        }
        let gateway = hop.pointee.gateway
        let slot = neighbors.find(gateway)
        if slot >= 0 {
            let entry = neighbors[slot]
            hop.pointee.addressesHead = entry.wireMAC & 0xFFFF_FFFF_FFFF | hop.pointee.sourceWireMAC << 48
            hop.pointee.addressesTail = UInt32(truncatingIfNeeded: hop.pointee.sourceWireMAC >> 16)
            hop.pointee.resolvedUntil = entry.reachableUntil
            hop.pointee.resolvedEpoch = neighborEpoch
        }
        forward(index, packet: packet, frame: frame, egress: Int(hop.pointee.interface), nextHop: gateway, batch: batch, emit: emit)
    }
}
