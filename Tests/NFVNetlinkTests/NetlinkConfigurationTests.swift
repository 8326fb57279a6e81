import Foundation
import NFVNetlink
import NFVTestSupport
import Testing

/// Links, addresses, routes, neighbours, veth pairs and namespace moves made through libnl, and
/// checked with iproute2's JSON output (an independent reader of the kernel's state).
@Suite(.serialized) struct NetlinkConfigurationTests {

    /// `ip -j ARGS` as a list of JSON objects.
    static func ipJSON(_ arguments: [String]) throws -> [[String: Any]] {
        let text = try HostCommand.check(["ip", "-j"] + arguments)
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? []
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: creates links and a namespace"))
    func plumbsAVethPairAcrossANamespace() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (near, far, namespace) = ("nfvta\(suffix)", "nfvtb\(suffix)", "nfvt-nl-\(suffix)")
        let socket = try NetlinkSocket()
        try socket.addVethPair(near, peer: far)
        defer {
            try? socket.deleteLink(near)
            _ = try? HostCommand.check(["ip", "netns", "del", namespace])
        }
        try socket.setLink(near, up: true, mtu: 1400, mac: "02:00:00:00:bb:01")
        try socket.address("10.214.0.1/24", on: near)
        try socket.neighbor("10.214.0.2", mac: "02:00:00:00:bb:02", on: near)
        try socket.route(to: "10.215.0.0/24", via: "10.214.0.2")

        let link = try #require(try Self.ipJSON(["link", "show", "dev", near]).first)
        #expect(link["mtu"] as? Int == 1400)
        #expect(link["address"] as? String == "02:00:00:00:bb:01")
        #expect((link["flags"] as? [String])?.contains("UP") == true)
        let addresses = (try Self.ipJSON(["addr", "show", "dev", near]).first?["addr_info"] as? [[String: Any]]) ?? []
        #expect(addresses.contains { $0["local"] as? String == "10.214.0.1" && $0["prefixlen"] as? Int == 24 })
        let neighbors = try Self.ipJSON(["neigh", "show", "dev", near])
        #expect(neighbors.contains { $0["dst"] as? String == "10.214.0.2" && $0["lladdr"] as? String == "02:00:00:00:bb:02" })
        let routes = try Self.ipJSON(["route", "show", "10.215.0.0/24"])
        #expect(routes.contains { $0["gateway"] as? String == "10.214.0.2" && $0["dev"] as? String == near })

        // The kernel's refusal comes back with libnl's text.
        #expect { try socket.address("10.214.0.1/24", on: near) } throws: { error in
            (error as? NetlinkError)?.text == "Object exists"
        }

        // The far end moves into a namespace and is configured there through a socket in it.
        try HostCommand.check(["ip", "netns", "add", namespace])
        let namespaceFD = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
        try #require(namespaceFD >= 0)
        defer { close(namespaceFD) }
        try socket.moveLink(far, toNamespaceFD: namespaceFD)
        #expect(throws: NetlinkError.self) { try socket.link(named: far) }
        let inside = try NetlinkSocket(namespaceFD: namespaceFD)
        try inside.setLink(far, up: true, mac: "02:00:00:00:bb:02")
        try inside.address("10.214.0.2/24", on: far)
        #expect(try inside.link(named: far).isUp)
        let farAddresses = (try Self.ipJSON(["-n", namespace, "addr", "show", "dev", far]).first?["addr_info"] as? [[String: Any]]) ?? []
        #expect(farAddresses.contains { $0["local"] as? String == "10.214.0.2" })
        // Traffic crosses: the host pings the far end in its namespace.
        try HostCommand.check(["ping", "-c", "1", "-W", "2", "10.214.0.2"])

        try socket.route(to: "10.215.0.0/24", via: "10.214.0.2", delete: true)
        try socket.deleteLink(near)
        #expect(throws: NetlinkError.self) { try socket.link(named: near) }
        #expect(try Self.ipJSON(["-n", namespace, "link", "show"]).allSatisfy { $0["ifname"] as? String != far })
    }
}
