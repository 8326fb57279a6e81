import CNetlink

#if canImport(Glibc)
    import Glibc
#endif

/// Changing links, addresses, routes and neighbours: what a chain needs to plumb its ports and
/// test hosts, without running `ip`.
extension NetlinkSocket {
    /// Parses `text` ("10.0.1.1/24", "2001:db8::1/64", "10.0.2.0/24", "02:00:00:00:00:01")
    /// into a libnl address; the caller puts it.
    static func address(_ text: String, family: Int32 = AF_UNSPEC, operation: String) throws(NetlinkError) -> OpaquePointer {
        var parsed: OpaquePointer?
        let status = nl_addr_parse(text, family, &parsed)
        guard status >= 0, let parsed else { throw NetlinkError(operation: "\(operation): parse \"\(text)\"", code: status) }
        return parsed
    }

    /// The kernel's index of link `name`.
    public func index(of name: String) throws(NetlinkError) -> Int32 {
        try link(named: name).index
    }

    /// Sets any of: administrative state, MTU, MAC address ("02:00:00:00:00:01").
    public func setLink(
        _ name: String, up: Bool? = nil, mtu: UInt32? = nil, mac: String? = nil, rename: String? = nil,
        ipv6LinkLocal: Bool? = nil
    ) throws(NetlinkError) {
        let operation = "set link \(name)"
        var original: OpaquePointer?
        let found = rtnl_link_get_kernel(handle, 0, name, &original)
        guard found >= 0, let original else { throw NetlinkError(operation: operation, code: found) }
        defer { rtnl_link_put(original) }
        guard let changes = rtnl_link_alloc() else { throw NetlinkError(operation: operation, code: -NLE_NOMEM) }
        defer { rtnl_link_put(changes) }
        if let up {
            if up { rtnl_link_set_flags(changes, UInt32(IFF_UP)) } else { rtnl_link_unset_flags(changes, UInt32(IFF_UP)) }
        }
        if let mtu { rtnl_link_set_mtu(changes, mtu) }
        if let rename { rtnl_link_set_name(changes, rename) }
        // IN6_ADDR_GEN_MODE_NONE (1): no link-local address, so no neighbour discovery or MLD
        // of its own (a bridge port that only carries others' frames); EUI64 (0) otherwise.
        if let ipv6LinkLocal { _ = rtnl_link_inet6_set_addr_gen_mode(changes, ipv6LinkLocal ? 0 : 1) }
        if let mac {
            let address = try Self.address(mac, family: AF_LLC, operation: operation)
            defer { nl_addr_put(address) }
            rtnl_link_set_addr(changes, address)
        }
        let status = rtnl_link_change(handle, original, changes, 0)
        guard status >= 0 else { throw NetlinkError(operation: operation, code: status) }
    }

    /// Creates a veth pair `name` <-> `peer` (both in this namespace, down).
    public func addVethPair(_ name: String, peer: String) throws(NetlinkError) {
        let status = rtnl_link_veth_add(handle, name, peer, getpid())
        guard status >= 0 else { throw NetlinkError(operation: "add veth pair \(name) / \(peer)", code: status) }
    }

    /// Creates VXLAN device `name` (down): VNI `vni` toward `remote` from `local`, UDP port
    /// `port`, learning off (the one remote is the only peer).
    public func addVXLAN(_ name: String, vni: UInt32, remote: String, local: String, port: UInt16) throws(NetlinkError) {
        let operation = "add VXLAN \(name) (VNI \(vni) to \(remote))"
        guard let link = rtnl_link_vxlan_alloc() else { throw NetlinkError(operation: operation, code: -NLE_NOMEM) }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let remoteAddress = try Self.address(remote, operation: operation)
        defer { nl_addr_put(remoteAddress) }
        let localAddress = try Self.address(local, operation: operation)
        defer { nl_addr_put(localAddress) }
        var status = rtnl_link_vxlan_set_id(link, vni)
        if status >= 0 { status = rtnl_link_vxlan_set_group(link, remoteAddress) }
        if status >= 0 { status = rtnl_link_vxlan_set_local(link, localAddress) }
        if status >= 0 { status = rtnl_link_vxlan_set_port(link, UInt32(port)) }
        if status >= 0 { status = rtnl_link_vxlan_disable_learning(link) }
        if status >= 0 { status = rtnl_link_add(handle, link, NLM_F_CREATE | NLM_F_EXCL) }
        guard status >= 0 else { throw NetlinkError(operation: operation, code: status) }
    }

    /// Creates bridge `name` (down).
    public func addBridge(_ name: String) throws(NetlinkError) {
        let status = rtnl_link_bridge_add(handle, name)
        guard status >= 0 else { throw NetlinkError(operation: "add bridge \(name)", code: status) }
    }

    /// Makes link `name` a port of bridge `bridge`.
    public func enslave(_ name: String, to bridge: String) throws(NetlinkError) {
        let status = rtnl_link_enslave_ifindex(handle, try index(of: bridge), try index(of: name))
        guard status >= 0 else { throw NetlinkError(operation: "add \(name) to bridge \(bridge)", code: status) }
    }

    /// Deletes link `name` (a veth takes its peer with it).
    public func deleteLink(_ name: String) throws(NetlinkError) {
        guard let link = rtnl_link_alloc() else { throw NetlinkError(operation: "delete link \(name)", code: -NLE_NOMEM) }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let status = rtnl_link_delete(handle, link)
        guard status >= 0 else { throw NetlinkError(operation: "delete link \(name)", code: status) }
    }

    /// Moves link `name` into the network namespace open at `namespaceFD` (e.g. an fd of
    /// /run/netns/NAME). The link disappears from this socket's namespace.
    public func moveLink(_ name: String, toNamespaceFD namespaceFD: Int32) throws(NetlinkError) {
        let operation = "move link \(name) to another namespace"
        var original: OpaquePointer?
        let found = rtnl_link_get_kernel(handle, 0, name, &original)
        guard found >= 0, let original else { throw NetlinkError(operation: operation, code: found) }
        defer { rtnl_link_put(original) }
        guard let changes = rtnl_link_alloc() else { throw NetlinkError(operation: operation, code: -NLE_NOMEM) }
        defer { rtnl_link_put(changes) }
        rtnl_link_set_ns_fd(changes, namespaceFD)
        let status = rtnl_link_change(handle, original, changes, 0)
        guard status >= 0 else { throw NetlinkError(operation: operation, code: status) }
    }

    /// Adds (or, with `delete`, removes) address `cidr` ("10.0.1.1/24", "2001:db8::1/64") on `link`.
    public func address(_ cidr: String, on link: String, delete: Bool = false) throws(NetlinkError) {
        let operation = "\(delete ? "delete" : "add") address \(cidr) on \(link)"
        let index = try index(of: link)
        let local = try Self.address(cidr, operation: operation)
        defer { nl_addr_put(local) }
        guard let address = rtnl_addr_alloc() else { throw NetlinkError(operation: operation, code: -NLE_NOMEM) }
        defer { rtnl_addr_put(address) }
        rtnl_addr_set_ifindex(address, index)
        var status = rtnl_addr_set_local(address, local)
        if status >= 0 { status = delete ? rtnl_addr_delete(handle, address, 0) : rtnl_addr_add(handle, address, 0) }
        guard status >= 0 else { throw NetlinkError(operation: operation, code: status) }
    }

    /// Adds (or removes) a route to `destination` ("10.0.2.0/24", "default") in the main
    /// table, through `gateway` and/or out of `link`.
    public func route(
        to destination: String, via gateway: String? = nil, link: String? = nil,
        delete: Bool = false
    ) throws(NetlinkError) {
        let operation = "\(delete ? "delete" : "add") route to \(destination)"
        guard gateway != nil || link != nil else {
            throw NetlinkError(operation: "\(operation): give a gateway or a link", code: -NLE_INVAL)
        }
        guard let route = rtnl_route_alloc() else { throw NetlinkError(operation: operation, code: -NLE_NOMEM) }
        defer { rtnl_route_put(route) }
        let gatewayAddress = try gateway.map { text throws(NetlinkError) in try Self.address(text, operation: operation) }
        defer { if let gatewayAddress { nl_addr_put(gatewayAddress) } }
        let family = gatewayAddress.map { Int32(nl_addr_get_family($0)) } ?? (destination.contains(":") ? AF_INET6 : AF_INET)
        let destinationAddress = try Self.address(destination, family: family, operation: operation)
        defer { nl_addr_put(destinationAddress) }
        rtnl_route_set_table(route, UInt32(RT_TABLE_MAIN.rawValue))
        var status = rtnl_route_set_family(route, UInt8(family))
        if status >= 0 { status = rtnl_route_set_dst(route, destinationAddress) }
        guard status >= 0 else { throw NetlinkError(operation: operation, code: status) }
        guard let hop = rtnl_route_nh_alloc() else { throw NetlinkError(operation: operation, code: -NLE_NOMEM) }
        if let gatewayAddress { rtnl_route_nh_set_gateway(hop, gatewayAddress) }
        if let link {
            do { rtnl_route_nh_set_ifindex(hop, try index(of: link)) } catch {
                rtnl_route_nh_free(hop)
                throw error
            }
        }
        rtnl_route_add_nexthop(route, hop)  // the route owns the hop from here
        status = delete ? rtnl_route_delete(handle, route, 0) : rtnl_route_add(handle, route, NLM_F_CREATE | NLM_F_EXCL)
        guard status >= 0 else { throw NetlinkError(operation: operation, code: status) }
    }

    /// Adds (or removes) a permanent neighbour entry: `address` is at `mac` on `link`.
    public func neighbor(_ address: String, mac: String, on link: String, delete: Bool = false) throws(NetlinkError) {
        let operation = "\(delete ? "delete" : "add") neighbour \(address) on \(link)"
        let index = try index(of: link)
        let destination = try Self.address(address, operation: operation)
        defer { nl_addr_put(destination) }
        let linkLayer = try Self.address(mac, family: AF_LLC, operation: operation)
        defer { nl_addr_put(linkLayer) }
        guard let neighbor = rtnl_neigh_alloc() else { throw NetlinkError(operation: operation, code: -NLE_NOMEM) }
        defer { rtnl_neigh_put(neighbor) }
        rtnl_neigh_set_ifindex(neighbor, index)
        var status = rtnl_neigh_set_dst(neighbor, destination)
        rtnl_neigh_set_lladdr(neighbor, linkLayer)
        rtnl_neigh_set_state(neighbor, Int32(NUD_PERMANENT))
        if status >= 0 {
            status = delete ? rtnl_neigh_delete(handle, neighbor, 0) : rtnl_neigh_add(handle, neighbor, NLM_F_CREATE | NLM_F_REPLACE)
        }
        guard status >= 0 else { throw NetlinkError(operation: operation, code: status) }
    }
}
