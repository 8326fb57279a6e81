import NFVPacket

/// A router instance's configuration (`kind: RouterConfig`).
public struct RouterConfiguration: Sendable, Equatable {
    /// `metadata.name`.
    public var name: String
    /// The interfaces.
    public var interfaces: [RouterInterface]
    /// Static routes (connected routes come from the interface addresses).
    public var routes: [RouterRoute]
    /// Neighbour (ARP / ND) table size.
    public var neighborCapacity: Int
    /// How long a resolved neighbour stays usable without being heard from, in seconds.
    public var neighborTimeout: UInt64
    /// Packets queued per unresolved neighbour; more are dropped (`neighbor_unresolved`).
    public var pendingPacketsPerNeighbor: Int
    /// ICMP errors the router may send per second (token bucket, burst of the same size).
    public var icmpErrorsPerSecond: Int
    /// Permanent neighbours (never expire, never solicited), as `ip neigh ... permanent`.
    public var staticNeighbors: [(address: IPv6Address, mac: MACAddress)] = []

    public static func == (lhs: RouterConfiguration, rhs: RouterConfiguration) -> Bool {
        lhs.name == rhs.name && lhs.interfaces == rhs.interfaces && lhs.routes == rhs.routes
            && lhs.neighborCapacity == rhs.neighborCapacity && lhs.neighborTimeout == rhs.neighborTimeout
            && lhs.pendingPacketsPerNeighbor == rhs.pendingPacketsPerNeighbor
            && lhs.icmpErrorsPerSecond == rhs.icmpErrorsPerSecond
            && lhs.staticNeighbors.map(\.address) == rhs.staticNeighbors.map(\.address)
            && lhs.staticNeighbors.map(\.mac) == rhs.staticNeighbors.map(\.mac)
    }

    /// A configuration.
    public init(
        name: String, interfaces: [RouterInterface], routes: [RouterRoute], neighborCapacity: Int = 1024,
        neighborTimeout: UInt64 = 60, pendingPacketsPerNeighbor: Int = 8, icmpErrorsPerSecond: Int = 100
    ) {
        self.name = name
        self.interfaces = interfaces
        self.routes = routes
        self.neighborCapacity = neighborCapacity
        self.neighborTimeout = neighborTimeout
        self.pendingPacketsPerNeighbor = pendingPacketsPerNeighbor
        self.icmpErrorsPerSecond = icmpErrorsPerSecond
    }
}
