import CLinux
import CNetlink

#if canImport(Glibc)
    import Glibc
#endif

/// A route-netlink socket (libnl `nl_sock` connected to NETLINK_ROUTE), closed when released.
public final class NetlinkSocket {
    let handle: OpaquePointer

    /// Connects to the kernel's routing netlink family in the caller's network namespace.
    public init() throws(NetlinkError) {
        guard let socket = nl_socket_alloc() else {
            throw NetlinkError(operation: "allocate socket", code: -NLE_NOMEM)
        }
        let status = nl_connect(socket, NETLINK_ROUTE)
        guard status >= 0 else {
            nl_socket_free(socket)
            throw NetlinkError(operation: "connect to NETLINK_ROUTE", code: status)
        }
        handle = socket
    }

    /// Connects to the routing family of the network namespace open at `namespaceFD` (an fd of
    /// /run/netns/NAME): the calling thread enters it for the connect and returns to its own
    /// namespace; the socket keeps talking to the other one.
    public convenience init(namespaceFD: Int32) throws(NetlinkError) {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw NetlinkError(operation: "open this thread's namespace", systemError: errno) }
        defer { close(home) }
        let entered = nfv_enter_network_namespace(namespaceFD)
        guard entered == 0 else {
            throw NetlinkError(operation: "enter namespace", systemError: -entered)
        }
        defer { _ = nfv_enter_network_namespace(home) }
        try self.init()
    }

    deinit { nl_socket_free(handle) }

    /// Every link of the namespace, ordered by index.
    public func links() throws(NetlinkError) -> [LinkInfo] {
        var cache: OpaquePointer?
        let status = rtnl_link_alloc_cache(handle, AF_UNSPEC, &cache)
        guard status >= 0, let cache else { throw NetlinkError(operation: "list links", code: status) }
        defer { nl_cache_free(cache) }
        var result: [LinkInfo] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            result.append(Self.info(of: current))
            object = nl_cache_get_next(current)
        }
        return result.sorted { $0.index < $1.index }
    }

    /// The link called `name`, asked of the kernel directly; throws when there is none.
    public func link(named name: String) throws(NetlinkError) -> LinkInfo {
        var link: OpaquePointer?
        let status = rtnl_link_get_kernel(handle, 0, name, &link)
        guard status >= 0, let link else { throw NetlinkError(operation: "look up link \(name)", code: status) }
        defer { rtnl_link_put(link) }
        return Self.info(of: link)
    }

    static func info(of link: OpaquePointer) -> LinkInfo {
        func stat(_ id: rtnl_link_stat_id_t) -> UInt64 { UInt64(rtnl_link_get_stat(link, id)) }
        let statistics = LinkStatistics(
            receivedPackets: stat(RTNL_LINK_RX_PACKETS), receivedBytes: stat(RTNL_LINK_RX_BYTES),
            transmittedPackets: stat(RTNL_LINK_TX_PACKETS), transmittedBytes: stat(RTNL_LINK_TX_BYTES),
            receiveDropped: stat(RTNL_LINK_RX_DROPPED), transmitDropped: stat(RTNL_LINK_TX_DROPPED))
        return LinkInfo(
            index: rtnl_link_get_ifindex(link),
            name: rtnl_link_get_name(link).map { String(cString: $0) } ?? "",
            mtu: rtnl_link_get_mtu(link),
            isUp: rtnl_link_get_flags(link) & UInt32(IFF_UP) != 0,
            type: rtnl_link_get_type(link).map { String(cString: $0) } ?? "",
            macAddress: rtnl_link_get_addr(link).map(Self.text) ?? "",
            statistics: statistics)
    }

    /// libnl's text of an address (`10.1.0.5/24`, `02:5a:00:00:00:01`).
    static func text(_ address: OpaquePointer) -> String {
        var text = [CChar](repeating: 0, count: 64)
        return String(cString: nl_addr2str(address, &text, text.count))
    }

    /// The addresses on link `name`, as `address/length` (`10.1.0.5/24`, `fe80::1/64`).
    public func addresses(on name: String) throws(NetlinkError) -> [String] {
        let index = try link(named: name).index
        var cache: OpaquePointer?
        let status = rtnl_addr_alloc_cache(handle, &cache)
        guard status >= 0, let cache else { throw NetlinkError(operation: "list addresses", code: status) }
        defer { nl_cache_free(cache) }
        var result: [String] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            let address = current
            if rtnl_addr_get_ifindex(address) == index, let local = rtnl_addr_get_local(address) {
                result.append(Self.text(local))
            }
            object = nl_cache_get_next(current)
        }
        return result
    }
}
