/// A service chain: its identity, its ports and its ordered stages (`kind: Chain`).
///
/// Traffic entering on the first port passes the stages in order and leaves on the second;
/// traffic entering on the second passes them in reverse and leaves on the first, unless a
/// stage (a router) chooses another port.
public struct ChainDescriptor: Sendable, Equatable {
    /// The API version this build reads.
    public static let apiVersion = "nfv/v1"

    /// `metadata.name`: the chain's identity.
    public var name: String
    /// The ports, in declaration order.
    public var ports: [PortDescriptor]
    /// The stages, in order.
    public var stages: [StageDescriptor]
    /// The file the chain was read from.
    public var file: String
    /// `spec.workers`: data-plane workers, one per TAP queue (sets every TAP port's queues).
    public var workers: Int?
    /// `spec.flowCache`: established flows each worker caches for its fast path (0: none;
    /// nil: the default, `FlowCache.defaultCapacity`).
    public var flowCache: Int?
    /// `spec.restart`: what the orchestrator does when the chain's data plane exits.
    public var restart = RestartPolicy()
    /// `spec.paths`: service paths (empty: the linear default through every stage).
    public var paths: [PathDescriptor] = []
    /// `spec.unmatched`: what happens to traffic no path takes: dropped, or switched at L2.
    public var unmatched: Unmatched = .drop
    /// `spec.resources`: the data plane's CPU and memory limits (nil: none, the host's).
    public var resources: ChainResources?
    /// `spec.qos`: policers for the traffic entering on the first port (forward) and on the
    /// second (reverse). The loader has already added their stages to `stages`.
    public var qos: QoSDescriptor?
    /// Stages on several hosts (`spec.hosts`, `placement:`); nil: all on one.
    public var placement: ChainPlacement?

    /// How many workers the chain runs on: `spec.workers`, else the first port's `queues:`.
    public var workerCount: Int { workers ?? ports.first?.tap?.queues ?? 1 }

    /// Chain port numbers by port name: a port's number is its position in `ports` (the data
    /// plane, replay and flows all number ports this way).
    public var portNumbers: [String: UInt16] {
        Dictionary(ports.enumerated().map { ($1.name, UInt16($0)) }, uniquingKeysWith: { first, _ in first })
    }

    public enum Unmatched: String, Sendable, CaseIterable {
        case drop
        case `switch`
    }

    /// One service path: traffic entering on `from` that matches `match` (Open vSwitch match
    /// syntax; none: everything) passes the stages in `through` and leaves on `to`; with
    /// `symmetric`, traffic entering on `to` that matches the reversed match takes the same
    /// stages in reverse and leaves on `from`. Higher `priority` paths are tried first.
    public struct PathDescriptor: Sendable, Equatable {
        public var name: String
        public var from: String
        public var to: String
        public var match: String?
        public var through: [String]
        public var symmetric: Bool
        public var priority: Int
        public var location: SourceLocation
        /// `qos:` of the path: policers for its forward and reverse traffic (their stages are in
        /// `through` and the chain's stages already).
        public var qos: QoSDescriptor?
        /// True when `other` is the same path, wherever either was written.
        public func hasSameSettings(as other: PathDescriptor) -> Bool {
            name == other.name && from == other.from && to == other.to && match == other.match && through == other.through
                && symmetric == other.symmetric && priority == other.priority && qos?.files == other.qos?.files
        }

        public init(
            name: String, from: String, to: String, match: String?, through: [String], symmetric: Bool, priority: Int,
            location: SourceLocation
        ) {
            self.name = name
            self.from = from
            self.to = to
            self.match = match
            self.through = through
            self.symmetric = symmetric
            self.priority = priority
            self.location = location
        }
    }

    /// When the orchestrator restarts a chain's data plane that exited without being asked to
    /// (the stages of a chain share one process, so the policy is the chain's).
    public struct RestartPolicy: Sendable, Equatable {
        public enum Mode: String, Sendable, CaseIterable {
            /// After any exit (the default).
            case always
            /// After a crash or a non-zero exit status; a clean exit stays stopped.
            case onFailure = "on-failure"
            /// Never: the chain stays down until the next deploy.
            case never
        }
        public var mode: Mode = .always
        /// Starts within a minute after which the chain is left in crash-loop (default 5).
        public var limit: Int = 5
        public init(mode: Mode = .always, limit: Int = 5) {
            self.mode = mode
            self.limit = limit
        }
    }

    public init(
        name: String, ports: [PortDescriptor], stages: [StageDescriptor], file: String,
        workers: Int? = nil, restart: RestartPolicy = RestartPolicy()
    ) {
        self.name = name
        self.ports = ports
        self.stages = stages
        self.file = file
        self.workers = workers
        self.restart = restart
    }

    /// The index of the port called `name`.
    public func portIndex(named name: String) -> Int? {
        ports.firstIndex { $0.name == name }
    }
}
