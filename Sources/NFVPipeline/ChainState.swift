/// A running chain's runtime state (`nfv-state` format, version 1; see docs/snapshot.md): per
/// worker, each stateful stage's record (`StageStateRecord`: a firewall's tracked connections,
/// a NAT's mappings). The data plane's `state` command writes it; `--restore-state` takes it
/// into a new data plane of the same chain before traffic flows; `nfv-orch snapshot` carries it
/// with the chain's files.
public struct ChainState: Codable, Sendable, Equatable {
    public static let formatName = "nfv-state"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// The chain's name.
    public var chain: String
    /// By worker index: that worker's stateful stages.
    public var workers: [[StageStateRecord]]
    /// The seed of the hash that keyed the tables and steered flows to workers (hexadecimal):
    /// on several workers, a restored chain must steer each flow to the worker that holds its
    /// entries, so it adopts the seed (`TableHash.adopt`). Absent in older files.
    public var hashSeed: String?
    /// The flows of the chain's (first) switch stage as they were changed at run time (`add-flow`,
    /// `del-flows`, an OpenFlow controller's FLOW_MODs), in `add-flow` form, table order; absent
    /// while they are the configuration's.
    public var switchFlows: [String]?
    /// The chain's counters when the state was taken: a migration counts on from them; a
    /// restore or a clone (a new chain on new TAPs) starts from zero.
    public var counters: CounterBaseline?

    public init(
        chain: String, workers: [[StageStateRecord]], hashSeed: UInt64? = nil, switchFlows: [String]? = nil,
        counters: CounterBaseline? = nil
    ) {
        format = Self.formatName
        version = Self.currentVersion
        self.chain = chain
        self.workers = workers
        self.hashSeed = hashSeed.map { String($0, radix: 16) }
        self.switchFlows = switchFlows
        self.counters = counters
    }

    /// `hashSeed` as a number.
    public var seed: UInt64? { hashSeed.flatMap { UInt64($0, radix: 16) } }
}
