#if canImport(Glibc)
    import Glibc
#endif

/// A unix socket's address (`sockaddr_un`) for a path: what the control sockets bind and what
/// their clients (the orchestrator, a data plane taking a chain over) connect to.
public enum UnixSocketAddress {
    /// Runs `body` with `path` as a `sockaddr` and its length; nil (and no call) when the path
    /// does not fit `sun_path` (108 bytes with its terminating zero).
    public static func with<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Connects `descriptor` to the socket at `path`: 0, or the errno (ENAMETOOLONG for a path
    /// too long).
    public static func connect(_ descriptor: Int32, to path: String) -> Int32 {
        guard let result = with(path, { Glibc.connect(descriptor, $0, $1) }) else { return ENAMETOOLONG }
        return result == 0 ? 0 : errno
    }
}
