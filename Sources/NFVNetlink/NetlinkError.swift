import CNetlink

#if canImport(Glibc)
    import Glibc
#endif

/// A failure reported by libnl or the kernel over netlink, with libnl's text for the code.
public struct NetlinkError: Error, Sendable, CustomStringConvertible {
    /// What was being done (`look up link nfv-in0`).
    public var operation: String
    /// libnl's error code (positive `NLE_*` value), or the errno of a failed system call.
    public var code: Int32
    /// libnl's description of `code` (`Object not found`).
    public var text: String

    /// Wraps a negative libnl return value.
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code < 0 ? -code : code
        self.text = String(cString: nl_geterror(code))
    }

    /// A failed system call (open, setns, mount, ...) on the way to netlink: `errno` and
    /// strerror's text, not a libnl code.
    public init(operation: String, systemError: Int32) {
        self.operation = operation
        self.code = systemError
        self.text = String(cString: strerror(systemError))
    }

    public var description: String { "netlink: \(operation): \(text)" }

    /// The object was there already (an address or route added twice).
    public var isAlreadyThere: Bool { code == NLE_EXIST }
}
