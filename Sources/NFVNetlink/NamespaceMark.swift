#if canImport(Glibc)
    import Glibc
#endif

/// The mark saying that a data plane created network namespace NAME
/// (`/run/nfv-dataplane/netns-NAME`). The data plane sets it when it creates a namespace and
/// removes it with the namespace; a namespace still marked after its data plane died was left
/// by a killed run, so the next run (or the supervisor) takes it over and removes it. A
/// namespace without a mark someone else made, and it is used and left alone.
public struct NamespaceMark: Sendable {
    /// Where marks (and data-plane control sockets) live.
    public static let directory = "/run/nfv-dataplane"

    /// The namespace the mark is for.
    public let namespace: String

    public init(namespace: String) { self.namespace = namespace }

    /// The mark's file.
    public var path: String { "\(Self.directory)/netns-\(namespace)" }

    /// Whether the namespace is marked.
    public var isSet: Bool { access(path, F_OK) == 0 }

    /// Marks the namespace as created by a data plane.
    public func set() {
        mkdir(Self.directory, 0o755)
        let descriptor = creat(path, 0o644)
        if descriptor >= 0 { close(descriptor) }
    }

    /// Removes the mark.
    public func remove() { unlink(path) }
}
