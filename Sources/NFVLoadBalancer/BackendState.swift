/// What a backend may receive.
public enum BackendState: String, Sendable, CaseIterable {
    /// New and existing flows.
    case up
    /// Existing flows only: it is being taken out of service gracefully.
    case draining
    /// Nothing: health checks failed. Its flows move to other backends.
    case down
}
