import CLinux

/// What a data plane keeps once its ports are plumbed and its workers run: `no_new_privs`, and
/// of root's capabilities only the three it still uses (the others leave the bounding,
/// permitted and effective sets, so no later code, nor anything it runs, can have them back).
public enum DataplanePrivileges {
    /// A capability kept, with why.
    public struct Kept: Sendable {
        public var number: Int
        public var name: String
        public var reason: String
    }

    /// The capabilities a running data plane keeps.
    public static let kept: [Kept] = [
        Kept(
            number: 12, name: "CAP_NET_ADMIN",
            reason: "an OpenFlow PORT_MOD sets a TAP's link down or up (netlink)"),
        Kept(
            number: 13, name: "CAP_NET_RAW",
            reason: "load-balancer health checks send ICMP echo requests (a raw socket)"),
        Kept(
            number: 21, name: "CAP_SYS_ADMIN",
            reason: "it enters the ports' namespaces (setns) to read and set their links and to run health checks, "
                + "and at exit unmounts the namespaces it made"),
    ]

    /// The kept set as a capability mask (bit N: capability N).
    public static var keptMask: UInt64 { kept.reduce(0) { $0 | 1 << UInt64($1.number) } }

    /// Sets no_new_privs and drops every capability but `kept`. Throws the errno text on failure
    /// (the caller decides whether to go on).
    public static func drop() throws(IsolationError) {
        let noNewPrivileges = nfv_set_no_new_privs()
        guard noNewPrivileges == 0 else { throw IsolationError("no_new_privs", path: "prctl", code: -noNewPrivileges) }
        let status = nfv_keep_capabilities(keptMask)
        guard status == 0 else { throw IsolationError("drop capabilities", path: "capset", code: -status) }
    }

    /// The line the data plane logs: what it kept and why.
    public static var summary: String {
        "privileges: no_new_privs set; capabilities kept: " + kept.map { "\($0.name) (\($0.reason))" }.joined(separator: "; ")
            + "; every other capability dropped"
    }
}
