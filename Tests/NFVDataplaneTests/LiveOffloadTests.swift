import Foundation
import NFVCatalog
import NFVDataplane
import NFVPacket
import NFVTestSupport
import Testing

/// Offloads on real TAPs: the edge gateway's firewall -> router -> NAT between a LAN and a WAN
/// namespace, the kernels on both sides sending TSO super-frames and partial checksums. What
/// must hold, judged by the receiving kernels (their TCP checksum error counters, tcpdump -vv)
/// and by SHA-256 end to end, never by our own counters alone.
@Suite(.serialized) struct LiveOffloadTests {
    struct Gateway {
        let live: LiveChain
        let running: LiveChainTests.Running
        let lan: String
        let wan: String
        let wanInterface: String
        let directory: URL

        /// Deploys the gateway; `routerWANMTU` is the MTU of the router's WAN link (the hosts on
        /// both sides keep 1500, so TCP's MSS does not tell them: only path MTU discovery can).
        init(routerWANMTU: Int = 1500, lanOffloads: Bool = true, wanOffloads: Bool = true) throws {
            let suffix = String(getpid() % 100_000)
            lan = "nfvt-ol\(suffix)"
            wan = "nfvt-ow\(suffix)"
            wanInterface = "nfvtow\(suffix)"
            directory = try Fixtures.temporaryDirectory()
            let configs = Fixtures.root.appendingPathComponent("vnf-configs")
            let router = try String(contentsOf: configs.appendingPathComponent("edge-router.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "mtu: 1500", with: "mtu: \(routerWANMTU)")
            try router.write(to: directory.appendingPathComponent("router.yaml"), atomically: true, encoding: .utf8)
            try """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: offload-test }
            spec:
              ports:
                - { name: inside,  type: tap, ifname: nfvtol\(suffix), namespace: \(lan), address: 10.0.1.10/24, gateway: 10.0.1.1, offloads: \(lanOffloads) }
                - { name: outside, type: tap, ifname: \(wanInterface), namespace: \(wan), address: 198.51.100.1/30, offloads: \(wanOffloads) }
              stages:
                - { name: fw,     vnf: firewall, config: \(configs.appendingPathComponent("edge-firewall.yaml").path) }
                - { name: router, vnf: router,   config: router.yaml }
                - { name: nat,    vnf: nat,      config: \(configs.appendingPathComponent("edge-nat.yaml").path) }
            """.write(to: directory.appendingPathComponent("chain.yaml"), atomically: true, encoding: .utf8)
            live = try LiveChain(loaded: try LoadedChain.load(path: directory.appendingPathComponent("chain.yaml").path))
            running = LiveChainTests.Running(live)
        }

        func tearDown() {
            running.stop()
            live.tearDown()
            try? FileManager.default.removeItem(at: directory)
        }

        /// TCP checksum errors the namespace's kernel counted (Tcp: InCsumErrors).
        func checksumErrors(_ namespace: String) throws -> Int {
            try TCPCounters.counter(namespace, file: "snmp", table: "Tcp:", name: "InCsumErrors")
        }

        func transfer(megabytes: Int, upload: Bool, port: Int = 8080) throws -> String {
            // The WAN host listens; the LAN host connects through the NAT to 198.51.100.1.
            try BulkTransfer.run(client: lan, server: wan, address: "198.51.100.1", port: port, megabytes: megabytes, upload: upload)
        }
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func twoHundredMegabytesEachWayWithOffloads() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let gateway = try Gateway()
        defer { gateway.tearDown() }
        let upload = try gateway.transfer(megabytes: 200, upload: true)
        #expect(upload.contains("intact"), "200 MB LAN -> WAN: \(upload)")
        let download = try gateway.transfer(megabytes: 200, upload: false, port: 8081)
        #expect(download.contains("intact"), "200 MB WAN -> LAN: \(download)")
        #expect(try gateway.checksumErrors(gateway.lan) == 0)
        #expect(try gateway.checksumErrors(gateway.wan) == 0)
        gateway.running.stop()
        let counters = gateway.live.counters()
        // The kernels handed over super-frames: far fewer frames than 1500-byte segments.
        for port in counters.ports {
            #expect(
                port.receivedBytes / max(port.receivedPackets, 1) > 3000, "\(port.name): \(port.receivedPackets) frames, \(port.receivedBytes) bytes")
        }
        let nat = try #require(counters.stages.first { $0.name == "nat" })
        #expect(nat.dropCount == 0, "\(nat.drops)")
    }

    /// A WAN port without offloads: the LAN's super-frames reach the WAN kernel as segments the
    /// chain cut, each with checksums the kernel verifies (none counted bad, none tcpdump calls
    /// incorrect); frames toward the LAN keep working with offloads there.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func aReceiverWithoutOffloadsGetsCompleteChecksums() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let gateway = try Gateway(wanOffloads: false)
        defer { gateway.tearDown() }
        // tcpdump writes to a file: a pipe nobody reads until the end would fill and stop it.
        let capture = Process()
        let capturePath = gateway.directory.appendingPathComponent("tcpdump.txt")
        FileManager.default.createFile(atPath: capturePath.path, contents: nil)
        capture.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        capture.arguments = ["ip", "netns", "exec", gateway.wan, "tcpdump", "-l", "-i", gateway.wanInterface, "-n", "-vv", "-c", "400", "tcp"]
        capture.standardOutput = try FileHandle(forWritingTo: capturePath)
        capture.standardError = FileHandle.nullDevice
        try capture.run()
        defer { HostCommand.kill(capture) }
        usleep(500_000)
        let upload = try gateway.transfer(megabytes: 50, upload: true)
        #expect(upload.contains("intact"), "50 MB LAN -> WAN: \(upload)")
        let download = try gateway.transfer(megabytes: 50, upload: false, port: 8081)
        #expect(download.contains("intact"), "50 MB WAN -> LAN: \(download)")
        HostCommand.kill(capture)
        let lines = try String(contentsOf: capturePath, encoding: .utf8).split(separator: "\n")
        let checked = lines.filter { $0.contains("cksum") }
        #expect(checked.count > 100, "tcpdump saw the transfer: \(lines.prefix(3))")
        #expect(!checked.contains { $0.contains("incorrect") }, "\(checked.filter { $0.contains("incorrect") }.prefix(3))")
        #expect(try gateway.checksumErrors(gateway.wan) == 0)
        #expect(try gateway.checksumErrors(gateway.lan) == 0)
        gateway.running.stop()
        let counters = gateway.live.counters()
        let wanPort = try #require(counters.ports.first { $0.name == "outside" })
        #expect(wanPort.transmittedBytes / max(wanPort.transmittedPackets, 1) <= 1514, "segments, not super-frames, toward the WAN")
    }

    /// A WAN link of MTU 1280 behind the router, hosts of MTU 1500 on both sides (so both
    /// announce an MSS of 1460): the LAN's segments of 1448 bytes do not fit, so
    /// the router answers fragmentation needed (DF is set) per segment, not per super-frame, and
    /// the LAN's kernel lowers its path MTU; the transfer completes intact.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func aSmallerMTUBeyondTheRouterGetsPathMTUDiscovery() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let gateway = try Gateway(routerWANMTU: 1280)
        defer { gateway.tearDown() }
        let upload = try gateway.transfer(megabytes: 20, upload: true)
        #expect(upload.contains("intact"), "20 MB LAN -> WAN over MTU 1280: \(upload)")
        let route = try HostCommand.run(["ip", "netns", "exec", gateway.lan, "ip", "route", "get", "198.51.100.1"])
        #expect(route.output.contains("mtu 1280"), "the LAN learned the path MTU: \(route.output)")
        #expect(try gateway.checksumErrors(gateway.wan) == 0)
        gateway.running.stop()
        let router = try #require(gateway.live.counters().stages.first { $0.name == "router" })
        #expect(router.drops[.needsFragmentation, default: 0] >= 1, "\(router.drops)")
        #expect(router.emitted >= 1, "the ICMP fragmentation-needed went back")
    }

    /// TSO6: IPv6 super-frames through the same firewall and router (the NAT passes IPv6),
    /// each way; the hop limit is decremented once per super-frame and every segment the
    /// kernels get verifies.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func ipv6SuperFramesCrossTheRouter() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let gateway = try Gateway()
        defer { gateway.tearDown() }
        let lanDevice = try HostCommand.check(["ip", "-n", gateway.lan, "-o", "link", "show", "type", "tun"])
            .split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
        try HostCommand.check(["ip", "-n", gateway.lan, "addr", "add", "fd00:1::10/64", "dev", lanDevice, "nodad"])
        try HostCommand.check(["ip", "-n", gateway.lan, "route", "add", "default", "via", "fd00:1::1"])
        try HostCommand.check(["ip", "-n", gateway.wan, "addr", "add", "2001:db8:ffff::1/64", "dev", gateway.wanInterface, "nodad"])
        try HostCommand.check(["ip", "-n", gateway.wan, "route", "add", "fd00:1::/64", "via", "2001:db8:ffff::2"])
        let upload = try BulkTransfer.run(
            client: gateway.lan, server: gateway.wan, address: "2001:db8:ffff::1", port: 8082, megabytes: 50, upload: true)
        #expect(upload.contains("intact"), "50 MB LAN -> WAN over IPv6: \(upload)")
        let download = try BulkTransfer.run(
            client: gateway.lan, server: gateway.wan, address: "2001:db8:ffff::1", port: 8083, megabytes: 50, upload: false)
        #expect(download.contains("intact"), "50 MB WAN -> LAN over IPv6: \(download)")
        #expect(try gateway.checksumErrors(gateway.lan) == 0)
        #expect(try gateway.checksumErrors(gateway.wan) == 0)
        gateway.running.stop()
        let counters = gateway.live.counters()
        for port in counters.ports {
            #expect(port.receivedBytes / max(port.receivedPackets, 1) > 3000, "\(port.name): super-frames arrived")
        }
        let router = try #require(counters.stages.first { $0.name == "router" })
        #expect(router.dropCount < 20, "\(router.drops)")
    }
}
