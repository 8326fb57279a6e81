#if canImport(Glibc)
    import Glibc
#endif

/// The claims one data plane holds on the TAP devices and network namespaces it plumbs, so that
/// two runs never share a TAP, share a namespace only when the orchestrator runs both (a
/// standalone run shares nothing), and the last run out removes a namespace the platform
/// created (`NamespaceMark`), never the first.
///
/// A claim is a file `/run/nfv-dataplane/claims/KIND-NAME.d/PID` holding one line that says
/// who holds it (`Claimant`), locked with flock(2) by its holder for as long as it runs. The
/// kernel drops the lock when the process ends, however it ends (SIGKILL included), so a claim
/// never outlives its holder: a claim file whose lock can be taken is stale and removed. Every
/// decision about a resource (claim, release and remove, look) is made under that resource's
/// guard lock (`KIND-NAME.guard`), so two runs starting at once cannot both take a TAP.
public final class ResourceClaims: @unchecked Sendable {
    /// The kinds of resource a data plane claims.
    public enum Kind: String, Sendable {
        case tap
        case namespace = "netns"
    }

    /// Where claims live.
    public static let directory = NamespaceMark.directory + "/claims"

    /// Who this run is.
    public let claimant: Claimant
    /// A run this one takes over from (a migration): its claims do not block this run's, and
    /// both hold the resources until it ends.
    public var predecessor: pid_t?
    /// The open, locked claim file of each held resource.
    var held: [Resource: Int32] = [:]

    struct Resource: Hashable {
        var kind: Kind
        var name: String
    }

    public init(claimant: Claimant) { self.claimant = claimant }

    deinit { releaseAll() }

    /// A claim refused: the resource is someone else's.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public var kind: Kind
        public var name: String
        public var holders: [Claimant]
        public init(kind: Kind, name: String, holders: [Claimant]) {
            self.kind = kind
            self.name = name
            self.holders = holders
        }
        public var description: String {
            let what = kind == .tap ? "TAP \(name)" : "namespace \(name)"
            let who = holders.map(\.description).joined(separator: "; ")
            switch kind {
            case .tap: return "\(what) belongs to \(who): a TAP has one owner; stop that run or pick another ifname"
            case .namespace:
                return "\(what) is in use by \(who): only chains the orchestrator runs share a namespace; "
                    + "stop that run or pick another namespace"
            }
        }
    }

    /// Claims TAP `name` for this run alone: refused while anyone else holds it. Claiming
    /// again what this run holds is a no-op.
    public func claimTAP(_ name: String) throws(Refusal) {
        try claim(.tap, name) { _ in true }
    }

    /// Claims namespace `name`: an orchestrated run shares it with other orchestrated runs, a
    /// standalone run shares it with no one.
    public func claimNamespace(_ name: String) throws(Refusal) {
        let mine = claimant
        try claim(.namespace, name) { other in mine.kind == .standalone || other.kind == .standalone }
    }

    /// Gives up the claim on namespace `name`; when no one else holds it, `lastOut` runs
    /// (still under the guard: no one can claim it meanwhile), to remove the namespace.
    public func releaseNamespace(_ name: String, lastOut: () -> Void) {
        Self.underGuard(.namespace, name) {
            release(Resource(kind: .namespace, name: name))
            if Self.liveHolders(.namespace, name).isEmpty { lastOut() }
        }
    }

    /// Gives up every claim still held.
    public func releaseAll() {
        for resource in held.keys {
            Self.underGuard(resource.kind, resource.name) { release(resource) }
        }
    }

    /// Removes this run's claim file on `resource` (the caller holds the guard).
    func release(_ resource: Resource) {
        guard let descriptor = held.removeValue(forKey: resource) else { return }
        unlink(Self.claimPath(resource.kind, resource.name, pid: claimant.pid))
        close(descriptor)
    }

    /// Who holds `kind` `name` now (stale claims are removed on the way).
    public static func holders(_ kind: Kind, _ name: String) -> [Claimant] {
        underGuard(kind, name) { liveHolders(kind, name) }
    }

    /// Runs `body` while holding `kind` `name`'s guard: for a caller that removes a resource
    /// only if no one holds it (the orchestrator cleaning up after a killed run).
    public static func whileUnclaimed(_ kind: Kind, _ name: String, _ body: () -> Void) {
        underGuard(kind, name) { if liveHolders(kind, name).isEmpty { body() } }
    }

    // MARK: files and locks

    func claim(_ kind: Kind, _ name: String, conflicts: (Claimant) -> Bool) throws(Refusal) {
        let resource = Resource(kind: kind, name: name)
        let result: Refusal? = Self.underGuard(kind, name) {
            if held[resource] != nil { return nil }
            let others = Self.liveHolders(kind, name).filter { $0.pid != claimant.pid && $0.pid != predecessor }
            let blocking = others.filter(conflicts)
            if !blocking.isEmpty { return Refusal(kind: kind, name: name, holders: blocking) }
            let path = Self.claimPath(kind, name, pid: claimant.pid)
            let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                if descriptor >= 0 { close(descriptor) }
                return nil  // Nothing to lock with (no /run): unguarded, as before claims.
            }
            let line = claimant.line + "\n"
            _ = line.withCString { write(descriptor, $0, strlen($0)) }
            held[resource] = descriptor
            return nil
        }
        if let result { throw result }
    }

    static func claimPath(_ kind: Kind, _ name: String, pid: pid_t) -> String {
        "\(directory)/\(kind.rawValue)-\(name).d/\(pid)"
    }

    /// Runs `body` with `kind` `name`'s guard locked (waiting for it: holders keep it briefly).
    /// A resource no one claims leaves no file behind: the last call removes its folder and
    /// guard, still locked (a caller that locked the removed guard sees that and locks anew).
    @discardableResult
    static func underGuard<T>(_ kind: Kind, _ name: String, _ body: () -> T) -> T {
        mkdir(NamespaceMark.directory, 0o755)
        mkdir(directory, 0o700)
        let guardPath = "\(directory)/\(kind.rawValue)-\(name).guard"
        let folder = "\(directory)/\(kind.rawValue)-\(name).d"
        var descriptor: Int32 = -1
        for _ in 0..<100 {
            descriptor = open(guardPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { break }
            while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
            var locked = stat()
            var current = stat()
            if fstat(descriptor, &locked) == 0, stat(guardPath, &current) == 0, locked.st_ino == current.st_ino { break }
            close(descriptor)  // Removed while we waited: lock the new one.
            descriptor = -1
        }
        mkdir(folder, 0o700)
        defer {
            if rmdir(folder) == 0 { unlink(guardPath) }
            if descriptor >= 0 { close(descriptor) }
        }
        return body()
    }

    /// The claims whose holder still runs (the caller holds the guard); stale ones are removed.
    static func liveHolders(_ kind: Kind, _ name: String) -> [Claimant] {
        let folder = "\(directory)/\(kind.rawValue)-\(name).d"
        guard let stream = opendir(folder) else { return [] }
        defer { closedir(stream) }
        var holders: [Claimant] = []
        while let entry = readdir(stream) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(file) else { continue }
            let path = "\(folder)/\(file)"
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                unlink(path)  // Its holder is gone.
                continue
            }
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = read(descriptor, &buffer, buffer.count)
            let line = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
            holders.append(Claimant(line: line, pid: pid))
        }
        return holders.sorted { $0.pid < $1.pid }
    }
}
