import NFVPacket
import NFVPipeline

/// The routing tables: both tries and their next hops built from the configuration off the
/// data path, and live route updates swapped in between two batches.
extension RouterStage {
    /// What a live route update swaps in: both tries and their next hops, built off the data path.
    struct RouteTables: @unchecked Sendable {
        var configuration: RouterConfiguration
        var ipv4: PrefixTrie
        var ipv6: PrefixTrie
        var nextHops: [NextHop]
    }

    /// Why a configuration cannot replace the running one without a restart.
    public struct UpdateError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The longest-prefix-match tables of `configuration`: connected, local and broadcast
    /// entries of every interface address, then the static routes, each with its next hop.
    static func routeTables(_ configuration: RouterConfiguration, portIndex: [String: UInt16]) -> RouteTables {
        let interfaces = configuration.interfaces
        var v4Routes: [(prefix: (high: UInt64, low: UInt64), length: Int, value: UInt32)] = []
        var v6Routes: [(prefix: (high: UInt64, low: UInt64), length: Int, value: UInt32)] = []
        var hops: [(interface: Int, gateway: IPv6Address?)] = []
        for (index, interface) in interfaces.enumerated() {
            for address in interface.addresses {
                let subnet = address.subnet
                hops.append((index, nil))
                let connected = UInt32(hops.count - 1)
                if address.isIPv4 {
                    let value = UInt32(truncatingIfNeeded: address.address.low)
                    v4Routes.append(((0, subnet.network.low & 0xFFFF_FFFF), address.prefixLength, connected))
                    v4Routes.append(((0, UInt64(value)), 32, Self.localFlag | UInt32(index)))
                    if address.prefixLength < 31 {
                        let broadcast = value | (UInt32.max >> UInt32(address.prefixLength))
                        v4Routes.append(((0, UInt64(broadcast)), 32, Self.noForwardFlag))
                    }
                } else {
                    v6Routes.append(((subnet.network.high, subnet.network.low), address.prefixLength, connected))
                    v6Routes.append(((address.address.high, address.address.low), 128, Self.localFlag | UInt32(index)))
                }
            }
            let linkLocal = interface.linkLocal
            v6Routes.append(((linkLocal.high, linkLocal.low), 128, Self.localFlag | UInt32(index)))
        }
        v6Routes.append(((0xFE80_0000_0000_0000, 0), 10, Self.noForwardFlag))
        for route in configuration.routes {
            var egress = route.interface.flatMap { name in interfaces.firstIndex { $0.name == name } }
            if egress == nil, let gateway = route.gateway {
                egress = interfaces.firstIndex { $0.addresses.contains { $0.subnet.contains(gateway) } }
            }
            guard let egress else { continue }  // the loader refuses such routes
            hops.append((egress, route.gateway))
            let value = UInt32(hops.count - 1)
            if route.destination.isIPv4 {
                v4Routes.append(((0, route.destination.network.low & 0xFFFF_FFFF), route.destination.length - 96, value))
            } else {
                v6Routes.append(((route.destination.network.high, route.destination.network.low), route.destination.length, value))
            }
        }
        let nextHops = hops.map { hop in
            let interface = interfaces[hop.interface]
            return NextHop(
                gateway: hop.gateway ?? .unspecified, sourceWireMAC: interface.mac.wireValue, mtu: interface.mtu,
                interface: Int32(hop.interface), resolvedUntil: 0, resolvedEpoch: 0,
                port: portIndex[interface.port] ?? UInt16.max,
                hasGateway: hop.gateway != nil)
        }
        return RouteTables(
            configuration: configuration, ipv4: PrefixTrie(keyBits: 32, routes: v4Routes),
            ipv6: PrefixTrie(keyBits: 128, routes: v6Routes), nextHops: nextHops)
    }

    /// Replaces the static routes (thread-safe; applied before the next batch). Neighbour
    /// entries and packets waiting for resolution stay; next hops re-resolve from the table.
    public func update(to newConfiguration: RouterConfiguration) throws(UpdateError) {
        if let problem = Self.liveUpdateProblem(from: configuration, to: newConfiguration) { throw UpdateError(description: problem) }
        updates.post(Self.routeTables(newConfiguration, portIndex: portIndex))
    }

    /// Why `new` cannot replace `old` in a running stage, or nil when it can: routes (static
    /// routes and their gateways) change live; interfaces, table sizes, timeouts and the ICMP
    /// rate shape state at start and need a new stage.
    public static func liveUpdateProblem(from old: RouterConfiguration, to new: RouterConfiguration) -> String? {
        var shape = new
        shape.routes = old.routes
        guard shape != old else { return nil }
        if new.interfaces != old.interfaces { return "interfaces changed (addresses, MACs, ports or MTUs are set at start)" }
        return "neighbour table, timeouts, static neighbours or the ICMP rate changed (set at start)"
    }

    func adopt(_ tables: RouteTables) {
        let fresh = UnsafeMutablePointer<NextHop>.allocate(capacity: max(tables.nextHops.count, 1))
        fresh.initialize(from: tables.nextHops, count: tables.nextHops.count)
        nextHops.deallocate()
        nextHops = fresh
        ipv4Table = tables.ipv4
        ipv6Table = tables.ipv6
        configuration = tables.configuration
    }
}
