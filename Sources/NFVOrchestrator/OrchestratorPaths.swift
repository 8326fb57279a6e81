/// Where the orchestrator keeps its files. The defaults suit a root daemon on a Linux host;
/// tests point them at a temporary directory.
public struct OrchestratorPaths: Sendable, Equatable, Codable {
    /// The daemon's state: the SQLite store and each deployed chain's frozen files.
    public var stateDirectory: String
    /// The daemon's HTTP+JSON socket (mode 0600: root only).
    public var socketPath: String
    /// Where data-plane control sockets live.
    public var runDirectory: String

    public init(
        stateDirectory: String = "/var/lib/nfv-orch", socketPath: String = "/run/nfv-orch/nfv-orch.sock",
        runDirectory: String = "/run/nfv-orch"
    ) {
        self.stateDirectory = stateDirectory
        self.socketPath = socketPath
        self.runDirectory = runDirectory
    }

    /// The SQLite database of desired state, chain records and events.
    public var databasePath: String { stateDirectory + "/state.sqlite" }

    /// The folder holding the frozen files of generation `generation` of chain `name`.
    public func chainDirectory(_ name: String, generation: Int) -> String {
        "\(stateDirectory)/chains/\(name)/\(generation)"
    }

    /// The data-plane control socket of chain `name`.
    public func controlSocket(_ name: String) -> String { "\(runDirectory)/\(name).ctl" }
}
