/// One tracked connection as an operator looks at it (`conntrack -L`): the original
/// direction's tuple, its state and time left, and which rule let it in.
public struct TrackedConnectionView: Codable, Sendable, Equatable {
    /// The stage that tracks it, and the worker whose table holds it.
    public var stage: String
    public var worker: Int
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, or the protocol number (`IPProtocol.name`).
    public var proto: String
    public var protocolNumber: Int
    /// netfilter's name for the state (`ESTABLISHED`, `SYN_SENT`, `UNREPLIED`...).
    public var state: String
    /// Seconds until it expires unless a packet refreshes it.
    public var timeout: Int
    /// Two-way (netfilter's ASSURED): never evicted to make room.
    public var assured: Bool
    /// The original direction: who opened it, to whom (ports: the ICMP identifier for ICMP).
    public var source: String
    public var destination: String
    public var sourcePort: Int
    public var destinationPort: Int
    /// The 802.1Q VLAN, 0 for none.
    public var vlan: Int
    /// The rule that allowed it (`default` for the default action).
    public var rule: String

    public init(
        stage: String, worker: Int, proto: String, protocolNumber: Int, state: String, timeout: Int, assured: Bool,
        source: String, destination: String, sourcePort: Int, destinationPort: Int, vlan: Int, rule: String
    ) {
        self.stage = stage
        self.worker = worker
        self.proto = proto
        self.protocolNumber = protocolNumber
        self.state = state
        self.timeout = timeout
        self.assured = assured
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.vlan = vlan
        self.rule = rule
    }
}

/// One NAT mapping as an operator looks at it: which inside endpoint goes out as which pool
/// address and port, and for how long.
public struct NATMappingView: Codable, Sendable, Equatable {
    public var stage: String
    public var worker: Int
    public var proto: String
    public var protocolNumber: Int
    public var inside: String
    public var insidePort: Int
    public var outside: String
    public var outsidePort: Int
    /// Seconds until it expires unless traffic refreshes it.
    public var timeout: Int
    /// A TCP connection of it is established (the longer timeout applies).
    public var established: Bool
    /// A packet came back in through it.
    public var repliedTo: Bool
    /// The remotes it has sent to (address-dependent filtering lets replies from these in).
    public var remotes: [String]

    public init(
        stage: String, worker: Int, proto: String, protocolNumber: Int, inside: String, insidePort: Int, outside: String,
        outsidePort: Int, timeout: Int, established: Bool, repliedTo: Bool, remotes: [String]
    ) {
        self.stage = stage
        self.worker = worker
        self.proto = proto
        self.protocolNumber = protocolNumber
        self.inside = inside
        self.insidePort = insidePort
        self.outside = outside
        self.outsidePort = outsidePort
        self.timeout = timeout
        self.established = established
        self.repliedTo = repliedTo
        self.remotes = remotes
    }
}

/// A stage that tracks connections and can list them (the data path's thread only).
public protocol ConnectionListing: Stage {
    /// The live connections at `now` (the batches' clock), for worker `worker`.
    func trackedConnections(now: UInt64, worker: Int) -> [TrackedConnectionView]
}

/// A stage that keeps NAT mappings and can list them (the data path's thread only).
public protocol MappingListing: Stage {
    /// The live mappings at `now` (the batches' clock), for worker `worker`.
    func natMappings(now: UInt64, worker: Int) -> [NATMappingView]
}

/// One load-balancer backend as an operator looks at it: what the operator said, what health
/// checks say, and so whether it takes new flows.
public struct BackendView: Codable, Sendable, Equatable {
    public var stage: String
    public var service: String
    public var backend: String
    public var address: String
    public var port: Int
    public var weight: Int
    /// What the configuration or operator said: up, draining, down.
    public var administrative: String
    /// What health checks say (true without a health check).
    public var healthy: Bool
    /// up (takes new flows), draining (existing flows only) or down.
    public var state: String

    public init(
        stage: String, service: String, backend: String, address: String, port: Int, weight: Int, administrative: String,
        healthy: Bool, state: String
    ) {
        self.stage = stage
        self.service = service
        self.backend = backend
        self.address = address
        self.port = port
        self.weight = weight
        self.administrative = administrative
        self.healthy = healthy
        self.state = state
    }
}

/// A stage with backends whose state can be read from any thread.
public protocol BackendListing: Stage {
    func backendViews() -> [BackendView]
}

/// A TAP port's kernel side as the operator sees it with `ip link`: whether the device is
/// there and administratively up (an `ip link set down` on it takes the port out).
public struct PortLinkView: Codable, Sendable, Equatable {
    public var port: String
    public var interface: String
    public var namespace: String?
    /// The device exists.
    public var present: Bool
    /// It is up (IFF_UP).
    public var up: Bool

    public init(port: String, interface: String, namespace: String?, present: Bool, up: Bool) {
        self.port = port
        self.interface = interface
        self.namespace = namespace
        self.present = present
        self.up = up
    }
}

/// A container attached to a chain port (`attach: cni`): the TAP the data plane made in the
/// container's network namespace, under the name the runtime chose (`nfv-dataplane`'s
/// `attachments`, the orchestrator's record of it, and what `nfv-cni` reports).
public struct ContainerAttachmentView: Codable, Sendable, Equatable {
    /// The chain port.
    public var port: String
    /// The runtime's container id (CNI_CONTAINERID).
    public var containerID: String
    /// The container's network namespace (CNI_NETNS).
    public var namespacePath: String
    /// The interface inside it (CNI_IFNAME).
    public var interface: String
    /// Its MAC address.
    public var macAddress: String
    /// Its MTU (the port's).
    public var mtu: Int

    public init(port: String, containerID: String, namespacePath: String, interface: String, macAddress: String, mtu: Int) {
        self.port = port
        self.containerID = containerID
        self.namespacePath = namespacePath
        self.interface = interface
        self.macAddress = macAddress
        self.mtu = mtu
    }
}
