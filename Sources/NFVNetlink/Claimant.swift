#if canImport(Glibc)
    import Glibc
#endif

/// Who holds a `ResourceClaims` claim: a data plane run by the orchestrator for a chain, or
/// one started by hand.
public struct Claimant: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Started by nfv-orch: shares namespaces with the orchestrator's other chains.
        case orchestrated
        /// Started by hand (nfv-dataplane CHAIN): shares nothing.
        case standalone
    }

    public var kind: Kind
    /// The chain's `metadata.name`.
    public var chain: String
    public var pid: pid_t
    /// The chain file it runs.
    public var file: String

    public init(kind: Kind, chain: String, pid: pid_t = getpid(), file: String) {
        self.kind = kind
        self.chain = chain
        self.pid = pid
        self.file = file
    }

    /// The claim file's line: `KIND CHAIN FILE` (the pid is the file's name).
    var line: String { "\(kind.rawValue) \(chain) \(file)" }

    /// Reads a claim file's line (anything unreadable counts as a standalone run: the stricter).
    init(line: String, pid: pid_t) {
        var text = Substring(line)
        while text.last == "\n" { text = text.dropLast() }
        let words = text.split(separator: " ", maxSplits: 2).map(String.init)
        self.kind = words.first.flatMap(Kind.init(rawValue:)) ?? .standalone
        self.chain = words.count > 1 ? words[1] : "?"
        self.file = words.count > 2 ? words[2] : "?"
        self.pid = pid
    }

    public var description: String {
        switch kind {
        case .orchestrated: "chain \(chain), deployed by nfv-orch (data plane pid \(pid))"
        case .standalone: "chain \(chain), run by a standalone nfv-dataplane (pid \(pid), \(file))"
        }
    }
}
