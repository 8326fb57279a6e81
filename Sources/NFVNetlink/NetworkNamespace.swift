import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A named network namespace (/run/netns/NAME, the convention `ip netns` uses), created or
/// opened by the product itself. Holds an fd of the namespace while it lives, for moving links
/// into it and opening netlink sockets in it.
public final class NetworkNamespace {
    public let name: String
    /// The fd of the namespace (for `NetlinkSocket(namespaceFD:)` and `moveLink`).
    public let fileDescriptor: Int32
    /// True when this object created the namespace (and so `delete()` is its to call).
    public let created: Bool

    /// The namespace's path (/run/netns/NAME, or the path it was opened at).
    public let path: String

    /// Opens namespace `name`, creating it if it does not exist.
    public init(name: String) throws(NetlinkError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw NetlinkError(operation: "namespace \"\(name)\": not a valid name", systemError: EINVAL)
        }
        self.name = name
        let path = "/run/netns/\(name)"
        self.path = path
        let status = nfv_netns_create(path)
        guard status == 0 || status == -EEXIST else {
            throw NetlinkError(operation: "create namespace \(name)", systemError: -status)
        }
        created = status == 0
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let error = errno
            if status == 0 { _ = nfv_netns_delete(path) }
            throw NetlinkError(operation: "open namespace \(name)", systemError: error)
        }
        fileDescriptor = descriptor
    }

    /// Opens the namespace at `path` that someone else made (a container runtime's
    /// CNI_NETNS: /run/netns/..., /proc/PID/ns/net); never deleted from here.
    public init(existingAt path: String) throws(NetlinkError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw NetlinkError(operation: "open namespace \(path)", systemError: errno) }
        name = path.split(separator: "/").last.map(String.init) ?? path
        self.path = path
        fileDescriptor = descriptor
        created = false
    }

    deinit { close(fileDescriptor) }

    /// A netlink socket that configures this namespace.
    public func netlink() throws(NetlinkError) -> NetlinkSocket {
        try NetlinkSocket(namespaceFD: fileDescriptor)
    }

    /// Removes the name; the namespace ends once no process, link or fd holds it (its virtual
    /// links go with it).
    public func delete() throws(NetlinkError) {
        let status = nfv_netns_delete(path)
        guard status == 0 else {
            throw NetlinkError(operation: "delete namespace \(name)", systemError: -status)
        }
    }
}
