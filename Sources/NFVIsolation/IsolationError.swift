#if canImport(Glibc)
    import Glibc
#endif

/// A cgroup or privilege step that failed: what, where, the system's reason and what would fix it.
public struct IsolationError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// `operation` on `path` failed with `code` (an errno).
    init(_ operation: String, path: String, code: Int32, fix: String? = nil) {
        description = "\(operation) \(path): \(String(cString: strerror(code)))" + (fix.map { "; \($0)" } ?? "")
    }
}
