import NFVPacket

/// A load balancer's configuration (`kind: LoadBalancerConfig`): virtual services, each a VIP
/// (address, port, protocol) spread over weighted backends.
public struct LoadBalancerConfiguration: Sendable, Equatable {
    /// How a service reaches its backends.
    public enum Mode: String, Sendable, CaseIterable {
        /// Rewrite the destination to the backend and the backend's replies back to the VIP
        /// (replies must come back through the load balancer).
        case nat
        /// Direct server return: only the destination MAC changes; the backend owns the VIP on
        /// a loopback and answers the client directly.
        case dsr
    }

    /// How a service picks the backend of a new flow.
    public enum Scheduler: String, Sendable, CaseIterable {
        /// Maglev consistent hashing of the flow's 5-tuple: the same flow picks the same
        /// backend on every load balancer, and a backend change moves few flows.
        case maglev
        /// Weighted round robin (IPVS's wrr, nftables' numgen inc): new flows take the up
        /// backends in turn, each as often as its weight, smoothly interleaved.
        case roundRobin = "round-robin"
    }

    /// One backend of a service.
    public struct Backend: Sendable, Equatable {
        public var name: String
        public var address: IPv4Address
        public var port: UInt16
        public var weight: Int
        /// The backend's MAC (DSR mode).
        public var mac: MACAddress?
        public init(name: String, address: IPv4Address, port: UInt16, weight: Int = 1, mac: MACAddress? = nil) {
            self.name = name
            self.address = address
            self.port = port
            self.weight = weight
            self.mac = mac
        }
    }

    /// How the control side checks a service's backends (`healthCheck`).
    public struct HealthCheck: Sendable, Equatable {
        /// What a probe does.
        public enum Kind: String, Sendable, CaseIterable {
            /// A TCP connect to the backend's address and port; up when the handshake completes.
            case tcp
            /// An ICMP echo to the backend's address; up when the reply comes back.
            case icmp
        }
        public var kind: Kind
        /// Time between the starts of two probes of a backend, in milliseconds.
        public var intervalMilliseconds: Int
        /// How long a probe waits for an answer, in milliseconds (at most the interval).
        public var timeoutMilliseconds: Int
        /// Consecutive failures that mark an up backend down.
        public var fall: Int
        /// Consecutive successes that mark a down backend up again.
        public var rise: Int
        public init(kind: Kind = .tcp, intervalMilliseconds: Int = 2000, timeoutMilliseconds: Int = 1000, fall: Int = 3, rise: Int = 2) {
            self.kind = kind
            self.intervalMilliseconds = intervalMilliseconds
            self.timeoutMilliseconds = timeoutMilliseconds
            self.fall = fall
            self.rise = rise
        }
    }

    /// A virtual service.
    public struct Service: Sendable, Equatable {
        public var name: String
        public var vip: IPv4Address
        public var port: UInt16
        public var ipProtocol: UInt8
        public var mode: Mode
        public var backends: [Backend]
        /// Where new flows go when no backend is up (a "sorry" server).
        public var fallback: Backend?
        /// Health checking of the backends, if any (without it, backends are up until told otherwise).
        public var healthCheck: HealthCheck?
        /// How new flows pick their backend.
        public var scheduler: Scheduler
        public init(
            name: String, vip: IPv4Address, port: UInt16, ipProtocol: UInt8, mode: Mode, backends: [Backend],
            fallback: Backend? = nil, healthCheck: HealthCheck? = nil, scheduler: Scheduler = .maglev
        ) {
            self.scheduler = scheduler
            self.name = name
            self.vip = vip
            self.port = port
            self.ipProtocol = ipProtocol
            self.mode = mode
            self.backends = backends
            self.fallback = fallback
            self.healthCheck = healthCheck
        }
    }

    public var name: String
    /// The chain port clients are on.
    public var clientPort: String
    /// The chain port backends are on.
    public var backendPort: String
    public var services: [Service]
    /// Maglev table size (a prime, at least 100 x the largest backend count).
    public var tableSize: Int
    /// The most connections tracked at once.
    public var connectionCapacity: Int
    /// Idle timeouts in seconds.
    public var tcpTimeout: UInt64
    public var tcpClosingTimeout: UInt64
    public var udpTimeout: UInt64

    public init(
        name: String, clientPort: String, backendPort: String, services: [Service], tableSize: Int = 65_537,
        connectionCapacity: Int = 65_536, tcpTimeout: UInt64 = 7440, tcpClosingTimeout: UInt64 = 10,
        udpTimeout: UInt64 = 300
    ) {
        self.name = name
        self.clientPort = clientPort
        self.backendPort = backendPort
        self.services = services
        self.tableSize = tableSize
        self.connectionCapacity = connectionCapacity
        self.tcpTimeout = tcpTimeout
        self.tcpClosingTimeout = tcpClosingTimeout
        self.udpTimeout = udpTimeout
    }
}
