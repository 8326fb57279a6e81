import CNetlink

/// A failure reported by libnl or the kernel over netlink, with libnl's text for the code.
public struct NetlinkError: Error, Sendable, CustomStringConvertible {
    /// What was being done (`look up link nfv-in0`).
    public var operation: String
    /// libnl's error code (positive `NLE_*` value).
    public var code: Int32
    /// libnl's description of `code` (`Object not found`).
    public var text: String

    /// Wraps a negative libnl return value.
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code < 0 ? -code : code
        self.text = String(cString: nl_geterror(code))
    }

    public var description: String { "netlink: \(operation): \(text)" }
}
