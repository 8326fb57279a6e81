import Foundation
import NFVDescriptors
import NFVIO
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVRouter
import NFVTestSupport
import Testing

/// The edge router (vnf-configs/edge-router.yaml) over scapy-built traffic on both sides; what
/// leaves each port must be exactly what scapy expects (ARP and ND answers and requests, echo
/// replies, routed packets with MACs rewritten and TTL / hop limit decremented, ICMP errors
/// quoting the packet as it arrived).
@Suite struct RouterReplayTests {
    static func run(batchSize: Int) throws -> (report: ReplayReport, inside: [MemoryPort.Frame], outside: [MemoryPort.Frame]) {
        let result = try TwoPortReplay.run(
            fixture: "router", stage: "rtr", vnf: "router", config: "vnf-configs/edge-router.yaml",
            batchSize: batchSize)
        return (result.report, result.inside, result.outside)
    }

    @Test func everyBehaviourOfTheScenarioMatchesScapy() throws {
        let (report, inside, outside) = try Self.run(batchSize: 256)
        let insideComparison = CaptureComparison(actual: inside, expected: try Fixtures.frames("router-inside-tx-expected.pcap"))
        let outsideComparison = CaptureComparison(actual: outside, expected: try Fixtures.frames("router-outside-tx-expected.pcap"))
        #expect(insideComparison.matches, "\(insideComparison.text(expectedPath: "inside"))")
        #expect(outsideComparison.matches, "\(outsideComparison.text(expectedPath: "outside"))")
        let summary = try #require(Fixtures.json("router-expected.json") as? [String: Any])
        let drops = try #require(summary["drops"] as? [String: Int])
        let router = try #require(report.stages.first { $0.name == "rtr" })
        #expect(router.drops == drops.mapValues(UInt64.init))
        #expect(router.held == 2)
        #expect(router.received == router.transmitted + router.dropped + router.punted + router.held)
    }

    @Test func resultsDoNotDependOnBatchSize() throws {
        let whole = try Self.run(batchSize: 256)
        for size in [1, 2, 5, 7] {
            let split = try Self.run(batchSize: size)
            #expect(split.inside == whole.inside && split.outside == whole.outside, "batch size \(size)")
            #expect(split.report.stages == whole.report.stages, "batch size \(size)")
        }
    }
}

@Suite struct RouterBehaviourTests {
    static let lanMAC = MACAddress("02:00:00:00:01:01")!
    static let clientMAC = MACAddress("02:00:00:00:01:0a")!

    static func router(rate: Int = 100) throws -> RouterStage {
        var configuration = try RouterConfigLoader().load(
            path: Fixtures.root.appendingPathComponent("vnf-configs/edge-router.yaml").path
        ).configuration
        configuration.icmpErrorsPerSecond = rate
        return RouterStage(name: "rtr", configuration: configuration, portIndex: ["inside": 0, "outside": 1])
    }

    /// A UDP frame from the client to `destination` (hand-built: Ethernet, IPv4 with a valid
    /// checksum, UDP), arriving on the inside port at `time` seconds.
    static func udp(to destination: IPv4Address, ttl: UInt8 = 64, time: UInt64) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 42)
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            EthernetHeader(frame).destination = lanMAC
            EthernetHeader(frame).source = clientMAC
            EthernetHeader(frame).etherType = EtherType.ipv4
            frame.storeByte(0x45, at: 14)
            let ip = IPv4Header(frame + 14)
            ip.totalLength = 28
            ip.ttl = ttl
            frame.storeByte(IPProtocol.udp, at: 23)
            ip.source = IPv4Address(10, 0, 1, 10)
            ip.destination = destination
            ip.updateChecksum()
            UDPHeader(frame + 34).length = 8
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: time * 1_000_000_000)
    }

    static func run(_ stage: RouterStage, frames: [MemoryPort.Frame], batchSize: Int = 256) throws
        -> (chain: Chain, inside: MemoryPort, outside: MemoryPort, pool: PacketPool)
    {
        let pool = PacketPool(slotCount: 512)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let inside = MemoryPort(frames: frames, portNumber: 0)
        let outside = MemoryPort(portNumber: 1)
        try Pipeline(sources: [inside], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool))
            .runUntilExhausted { batchSize }
        return (chain, inside, outside, pool)
    }

    /// A next hop that never answers: three ARP requests a second apart, then the queued
    /// packets are given up; the queue is bounded.
    @Test func unansweredNextHopIsRetriedThenGivenUp() throws {
        let stage = try Self.router()
        var frames = (0..<10).map { _ in Self.udp(to: IPv4Address(203, 0, 113, 7), time: 1) }  // 10 packets, queue holds 8
        frames += (2...6).map { Self.udp(to: IPv4Address(10, 0, 1, 99), time: UInt64($0)) }  // time passes (on-link, also unresolved)
        let (chain, inside, outside, pool) = try Self.run(stage, frames: frames, batchSize: 1)
        let counters = chain.counters[1]
        #expect(counters.held >= 8)
        #expect(counters.drops[.neighborUnresolved] == 2, "the queue holds 8 packets per neighbour")
        func arpRequests(_ port: MemoryPort) -> Int { port.transmitted.filter { $0.bytes[12] == 0x08 && $0.bytes[13] == 0x06 }.count }
        #expect(arpRequests(outside) == 3, "one request, then two retries a second apart, then it gives up")
        #expect(arpRequests(inside) >= 3)
        #expect(stage.counters.queuedPacketsDropped >= 8 + 3)
        // Every buffer is accounted for: the ones still queued for 10.0.1.99 are held by the router.
        let stillQueued = (0..<stage.neighbors.slotCount).reduce(0) { $0 + Int(stage.neighbors[$1].queued) }
        #expect(pool.availableCount + stillQueued == 512)
    }

    /// ICMP errors are limited by a token bucket (here 2 per second).
    @Test func icmpErrorsAreRateLimited() throws {
        let stage = try Self.router(rate: 2)
        let frames = (0..<10).map { _ in Self.udp(to: IPv4Address(8, 8, 8, 8), time: 5) }
        let (chain, inside, _, _) = try Self.run(stage, frames: frames)
        #expect(chain.counters[1].drops[.noRoute] == 10)
        #expect(inside.transmitted.count == 2)
        #expect(stage.counters.icmpErrorsSent == 2 && stage.counters.icmpErrorsRateLimited == 8)
    }

    /// An ARP reply from the gateway (198.51.100.1) on the outside port, from `mac`, at `time`.
    static func gatewayARP(mac: MACAddress, time: UInt64) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 42)
        bytes[15] = 1  // hardware type Ethernet
        bytes[16] = 0x08  // protocol type IPv4
        bytes[18] = 6
        bytes[19] = 4
        var frame = MemoryPort.Frame(bytes: bytes, timestamp: time * 1_000_000_000)
        frame.bytes.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!
            EthernetHeader(base).destination = MACAddress("02:00:00:00:02:01")!
            EthernetHeader(base).source = mac
            EthernetHeader(base).etherType = EtherType.arp
            let arp = ARPHeader(base + 14)
            arp.operation = ARPHeader.reply
            arp.senderMAC = mac
            arp.senderIP = IPv4Address(198, 51, 100, 1)
            arp.targetMAC = MACAddress("02:00:00:00:02:01")!
            arp.targetIP = IPv4Address(198, 51, 100, 2)
        }
        return frame
    }

    /// The route caches its gateway's MAC; when the gateway announces a new MAC, the very next
    /// packet goes to the new one.
    @Test func aGatewayThatChangesItsMACIsFollowed() throws {
        let stage = try Self.router()
        let pool = PacketPool(slotCount: 256)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let first = MACAddress("02:00:00:00:02:aa")!
        let second = MACAddress("02:00:00:00:02:bb")!
        let inside = MemoryPort(
            frames: [
                Self.udp(to: IPv4Address(203, 0, 113, 7), time: 1),
                Self.udp(to: IPv4Address(203, 0, 113, 7), time: 3),
                Self.udp(to: IPv4Address(203, 0, 113, 8), time: 5),
            ], portNumber: 0)
        let outside = MemoryPort(
            frames: [Self.gatewayARP(mac: first, time: 2), Self.gatewayARP(mac: second, time: 4)],
            portNumber: 1)
        // Feed in time order, one packet per batch, each from its own port.
        let sinks = [MemoryPort(portNumber: 0), MemoryPort(portNumber: 1)]
        let order: [(MemoryPort.Frame, UInt16)] = [
            (inside.pending[0], 0), (outside.pending[0], 1), (inside.pending[1], 0),
            (outside.pending[1], 1), (inside.pending[2], 0),
        ]
        for (frame, port) in order {
            let source = MemoryPort(frames: [frame], portNumber: port)
            try Pipeline(sources: [source], chain: chain, sinks: sinks, batch: PacketBatch(pool: pool)).runUntilExhausted()
        }
        let routed = sinks[1].transmitted.filter { $0.bytes[12] == 0x08 && $0.bytes[13] == 0x00 }
        #expect(routed.count == 3)
        #expect(routed.map { MACAddress(rawValue: $0.bytes[0..<6].reduce(0) { $0 << 8 | UInt64($1) }) } == [first, first, second])
    }

    /// The RFC 1071 checksum over `bytes`, computed here the plain way (not with the product's
    /// InternetChecksum): 0 for a header whose checksum is right.
    static func plainChecksum(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// A batch of packets through a gateway route whose MAC is cached and to an on-link
    /// neighbour (the router's inline fast path): each leaves with the gateway's MAC, the outside interface's MAC, TTL one less and a
    /// header checksum that verifies; the ones the fast path must not take (TTL 1, a bad
    /// checksum) get what the RFC says; after the gateway's MAC changes, the next packet follows.
    @Test func cachedGatewayRoutesForwardEveryPacketOfABatch() throws {
        let stage = try Self.router()
        let pool = PacketPool(slotCount: 256)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let first = MACAddress("02:00:00:00:02:aa")!
        let second = MACAddress("02:00:00:00:02:bb")!
        // Through the gateway (203.0.113.x) and to the gateway itself, an on-link neighbour.
        let destinations = [IPv4Address(203, 0, 113, 7), IPv4Address(198, 51, 100, 1), IPv4Address(203, 0, 113, 9)]
        var batch = (0..<6).map { Self.udp(to: destinations[$0 % 3], ttl: UInt8(64 - $0), time: 3) }
        batch.append(Self.udp(to: IPv4Address(203, 0, 113, 7), ttl: 1, time: 3))
        var corrupt = Self.udp(to: IPv4Address(203, 0, 113, 7), time: 3)
        corrupt.bytes[24] ^= 0x40  // the header checksum's high byte
        batch.append(corrupt)
        batch += (0..<3).map { _ in Self.udp(to: IPv4Address(203, 0, 113, 9), time: 3) }
        let sinks = [MemoryPort(portNumber: 0), MemoryPort(portNumber: 1)]
        let feeds: [([MemoryPort.Frame], UInt16)] = [
            ([Self.udp(to: IPv4Address(203, 0, 113, 7), time: 1)], 0), ([Self.gatewayARP(mac: first, time: 2)], 1),
            (batch, 0), ([Self.gatewayARP(mac: second, time: 4)], 1), ([Self.udp(to: IPv4Address(203, 0, 113, 7), time: 5)], 0),
        ]
        for (frames, port) in feeds {
            let source = MemoryPort(frames: frames, portNumber: port)
            try Pipeline(sources: [source], chain: chain, sinks: sinks, batch: PacketBatch(pool: pool)).runUntilExhausted()
        }
        let routed = sinks[1].transmitted.filter { $0.bytes[12] == 0x08 && $0.bytes[13] == 0x00 }
        let sent =
            [Self.udp(to: IPv4Address(203, 0, 113, 7), time: 1)] + batch.filter { $0.bytes[22] > 1 && $0 != corrupt }
            + [Self.udp(to: IPv4Address(203, 0, 113, 7), time: 5)]
        #expect(routed.count == sent.count)
        for (index, (output, input)) in zip(routed, sent).enumerated() {
            let destination = index == sent.count - 1 ? second : first
            func mac(_ bytes: ArraySlice<UInt8>) -> MACAddress { MACAddress(rawValue: bytes.reduce(0) { $0 << 8 | UInt64($1) }) }
            #expect(mac(output.bytes[0..<6]) == destination, "packet \(index): to the gateway")
            #expect(mac(output.bytes[6..<12]) == MACAddress("02:00:00:00:02:01")!, "packet \(index): from the outside interface")
            #expect(output.bytes[22] == input.bytes[22] - 1, "packet \(index): TTL")
            #expect(Self.plainChecksum(output.bytes[14..<34]) == 0, "packet \(index): header checksum")
            #expect(Array(output.bytes[34...]) == Array(input.bytes[34...]) && Array(output.bytes[12..<22]) == Array(input.bytes[12..<22]))
        }
        #expect(chain.counters[1].drops[.ttlExpired] == 1 && chain.counters[1].drops[.badIPv4Checksum] == 1)
    }

    @Test func linkLocalAddressFollowsModifiedEUI64() {
        let interface = RouterInterface(name: "lan", port: "inside", mac: MACAddress("02:00:00:00:01:01")!, addresses: [])
        #expect("\(interface.linkLocal)" == "fe80::ff:fe00:101")
        let universal = RouterInterface(name: "x", port: "p", mac: MACAddress("00:1b:21:aa:bb:cc")!, addresses: [])
        #expect("\(universal.linkLocal)" == "fe80::21b:21ff:feaa:bbcc")
    }
}

@Suite struct RouterConfigLoaderTests {
    func errors(_ spec: String) -> [String] {
        do {
            _ = try RouterConfigLoader().parse("apiVersion: nfv/v1\nkind: RouterConfig\nmetadata: { name: r }\nspec:\n" + spec, file: "r.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func mistakesAreReportedWithPlaceAndFix() {
        let found = errors(
            """
              interfaces:
                - { name: lan, port: inside, mac: 02:00:00:00:01:01, addresses: [10.0.1.1/24, 10.0.2.1/33] }
                - { name: wan, port: inside, mac: 01:00:00:00:02:01, addresses: [198.51.100.2/30] }
                - { name: v6, port: six, mac: 02:00:00:00:03:01, addresses: ["2001:db8::1/64"], mtu: 1000 }
              routes:
                - { dst: 0.0.0.0/0, via: "2001:db8::1" }
                - { dst: 192.0.2.0/24, via: 10.9.9.9 }
                - { dst: 192.0.3.0/24, interface: lna }
                - { dst: 192.0.4.0/24 }
            """)
        let expected = [
            "r.yaml:6:83: error: spec.interfaces[0].addresses[1]: \"10.0.2.1/33\" is not an interface address with its prefix length; write it as 10.0.1.1/24 or fd00:1::1/64",
            "r.yaml:7:26: error: spec.interfaces[1].port: port \"inside\" already belongs to interface \"lan\"; give each interface its own chain port",
            "r.yaml:7:39: error: spec.interfaces[1].mac: 01:00:00:00:02:01 is not a unicast address; the first octet must be even (02:... is a locally administered unicast address)",
            "r.yaml:8:90: error: spec.interfaces[2].mtu: IPv6 needs an MTU of at least 1280 (RFC 8200 section 5)",
            "r.yaml:10:30: error: spec.routes[0].via: the next hop's family differs from the destination's; an IPv4 route needs an IPv4 next hop, an IPv6 route an IPv6 one",
            "r.yaml:11:33: error: spec.routes[1].via: next hop 10.9.9.9 is on no interface's subnet; add the subnet to an interface, or name the egress with \"interface:\"",
            "r.yaml:12:39: error: spec.routes[2].interface: no interface \"lna\"; did you mean \"lan\"?",
            "r.yaml:13:7: error: spec.routes[3]: a route needs a next hop or an interface; add \"via: ADDRESS\" or \"interface: NAME\"",
        ]
        for line in expected { #expect(found.contains(line), "\(line)\n\(found.joined(separator: "\n"))") }
        #expect(found.count == expected.count)
    }
}

/// Routes changed on a running router: the new table is used from the next batch on, the
/// neighbour table is kept, and changes to interfaces are refused (they need a new stage).
@Suite struct RouterLiveUpdateTests {
    @Test func aRouteAddedLiveIsUsedByTheNextBatch() throws {
        let full = try RouterConfigLoader().load(path: Fixtures.root.appendingPathComponent("vnf-configs/edge-router.yaml").path).configuration
        var bare = full
        bare.routes = []
        let stage = RouterStage(name: "rtr", configuration: bare, portIndex: ["inside": 0, "outside": 1])
        // Before: no route to 203.0.113.0/24 (the router answers net unreachable).
        let before = try RouterBehaviourTests.run(stage, frames: [RouterBehaviourTests.udp(to: IPv4Address(203, 0, 113, 7), time: 1)])
        #expect(before.chain.counters[1].drops[.noRoute] == 1)
        // The edge router's routes (203.0.113.0/24 via 198.51.100.1 among them) arrive live.
        try stage.update(to: full)
        let after = try RouterBehaviourTests.run(stage, frames: [RouterBehaviourTests.udp(to: IPv4Address(203, 0, 113, 7), time: 2)])
        #expect(stage.updateCount == 1)
        #expect(after.chain.counters[1].drops[.noRoute] == 0)
        #expect(after.chain.counters[1].held == 1, "held until the gateway answers ARP")
        let arp = after.outside.transmitted.filter { $0.bytes[12] == 0x08 && $0.bytes[13] == 0x06 }
        #expect(arp.count == 1, "the router asks for 198.51.100.1 on the outside")
        #expect(Array(arp.first?.bytes[38..<42] ?? []) == [198, 51, 100, 1])
        // Interfaces are set at start.
        var moved = full
        moved.interfaces[1].mtu = 1400
        #expect(throws: RouterStage.UpdateError.self) { try stage.update(to: moved) }
    }
}
