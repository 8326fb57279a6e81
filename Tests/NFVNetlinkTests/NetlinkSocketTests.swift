import NFVNetlink
import Testing

/// Real netlink through libnl in the test's own namespace: every Linux namespace has `lo`.
@Suite struct NetlinkSocketTests {
    @Test func listsTheLoopbackLink() throws {
        let socket = try NetlinkSocket()
        let links = try socket.links()
        let loopback = try #require(links.first { $0.name == "lo" })
        #expect(loopback.index >= 1)
        #expect(loopback.mtu >= 1500)
        #expect(links.map(\.index) == links.map(\.index).sorted())
    }

    @Test func looksUpALinkByName() throws {
        let socket = try NetlinkSocket()
        let loopback = try socket.link(named: "lo")
        #expect(loopback.name == "lo")
        #expect(
            loopback.statistics.receivedPackets == loopback.statistics.transmittedPackets
                || loopback.statistics.receivedPackets > 0 || !loopback.isUp)
    }

    @Test func unknownLinkIsANetlinkErrorWithTheKernelsText() throws {
        let socket = try NetlinkSocket()
        #expect { try socket.link(named: "nfv-no-such0") } throws: { error in
            guard let error = error as? NetlinkError else { return false }
            return error.operation == "look up link nfv-no-such0" && !error.text.isEmpty && error.code > 0
        }
    }
}
