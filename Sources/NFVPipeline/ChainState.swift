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

    public init(chain: String, workers: [[StageStateRecord]]) {
        format = Self.formatName
        version = Self.currentVersion
        self.chain = chain
        self.workers = workers
    }
}
