import Foundation
import NFVCatalog
import NFVFirewall
import NFVIO
import NFVLoadBalancer
import NFVNAT
import NFVPacket
import NFVPipeline
import NFVRouter
import NFVTestSupport
import Testing

/// The chain's flow cache must be invisible: the same traffic through firewall -> load
/// balancer -> router -> NAT with the fast path and without it (`spec.flowCache: 0`, every
/// packet through every stage) leaves every port with the same frames, byte for byte and in
/// the same order within each flow, and leaves the stages with the same counters and tables.
///
/// The traffic is shaped as users make it: one client with hundreds of connections to one VIP
/// (ports vary, addresses do not), the same client to many servers, UDP both ways, replies made
/// from what actually left the chain; then the awkward packets inside established flows: TTL 1,
/// a corrupt IPv4 header checksum, a packet over the far side's MTU with DF set, FIN and RST
/// in the middle of a batch, and a pause longer than the UDP timeouts.
@Suite struct FastPathEquivalenceTests {
    static let client = IPv4Address(10, 0, 0, 10)
    static let insideRouterMAC = MACAddress(0x02, 0, 0, 0, 0, 0x02)
    static let outsideRouterMAC = MACAddress(0x02, 0, 0, 0, 0, 0x03)

    /// One run of the chain: frames in, frames out by port.
    final class Driver {
        let chain: Chain
        let pool: PacketPool
        let directory: URL
        var time: UInt64 = 1_000_000_000

        init(flowCache: Int) throws {
            directory = try Fixtures.temporaryDirectory()
            try Self.writeConfigs(to: directory, flowCache: flowCache)
            let loaded = try LoadedChain.load(path: directory.appendingPathComponent("chain.yaml").path)
            pool = PacketPool(slotCount: 4096)
            chain = ChainAssembly.makeChain(loaded, pool: pool)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        static func writeConfigs(to directory: URL, flowCache: Int) throws {
            let files = [
                "chain.yaml": """
                apiVersion: nfv/v1
                kind: Chain
                metadata: { name: fast-path-equivalence }
                spec:
                  flowCache: \(flowCache)
                  ports:
                    - { name: inside,  type: pcap, tx: /dev/null }
                    - { name: outside, type: pcap, tx: /dev/null }
                  stages:
                    - { name: fw,     vnf: firewall,      config: fw.yaml }
                    - { name: lb,     vnf: load-balancer, config: lb.yaml }
                    - { name: router, vnf: router,        config: router.yaml }
                    - { name: nat,    vnf: nat,           config: nat.yaml }
                """,
                "fw.yaml": """
                apiVersion: nfv/v1
                kind: FirewallConfig
                metadata: { name: fw }
                spec:
                  stateful: true
                  defaultAction: drop
                  rules:
                    - { name: web, match: { inPort: inside, proto: tcp, dstPort: 80 }, action: allow }
                    - { name: tls, match: { inPort: inside, proto: tcp, dstPort: 443 }, action: allow }
                    - { name: dns, match: { inPort: inside, proto: udp, dstPort: 53 }, action: allow }
                """,
                "lb.yaml": """
                apiVersion: nfv/v1
                kind: LoadBalancerConfig
                metadata: { name: lb }
                spec:
                  clients: inside
                  backends: outside
                  services:
                    - name: web
                      vip: 198.51.100.1:80/tcp
                      backends:
                        - { name: b1, address: "203.0.113.1:8080" }
                        - { name: b2, address: "203.0.113.2:8080" }
                        - { name: b3, address: "203.0.113.3:8080", weight: 2 }
                    - name: dns
                      vip: 198.51.100.1:53/udp
                      scheduler: round-robin
                      backends:
                        - { name: d1, address: "203.0.113.4:53" }
                        - { name: d2, address: "203.0.113.5:53" }
                """,
                "router.yaml": """
                apiVersion: nfv/v1
                kind: RouterConfig
                metadata: { name: router }
                spec:
                  interfaces:
                    - { name: lan, port: inside,  mac: 02:00:00:00:00:02, addresses: [10.0.0.1/8] }
                    - { name: wan, port: outside, mac: 02:00:00:00:00:03, addresses: [203.0.113.254/24], mtu: 1400 }
                  routes:
                    - { dst: 0.0.0.0/0, via: 203.0.113.9 }
                  neighbors:
                    static:
                      - { address: 203.0.113.1, mac: 02:00:00:00:20:01 }
                      - { address: 203.0.113.2, mac: 02:00:00:00:20:02 }
                      - { address: 203.0.113.3, mac: 02:00:00:00:20:03 }
                      - { address: 203.0.113.4, mac: 02:00:00:00:20:04 }
                      - { address: 203.0.113.5, mac: 02:00:00:00:20:05 }
                      - { address: 203.0.113.9, mac: 02:00:00:00:20:09 }
                      - { address: 10.0.0.10, mac: 02:00:00:00:01:0a }
                """,
                "nat.yaml": """
                apiVersion: nfv/v1
                kind: NatConfig
                metadata: { name: nat }
                spec:
                  inside: inside
                  outside: outside
                  pool: [203.0.113.254]
                  snat: [{ name: lan, match: { srcPrefix: 10.0.0.0/8 }, ports: 1024-65535 }]
                  sessions: { udpTimeout: 120s }
                """,
            ]
            for (name, text) in files {
                try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
        }

        /// Sends `frames` into `port` in batches of `batchSize`; returns what left, by port, in
        /// the order it left.
        func send(_ frames: [[UInt8]], port: UInt16, batchSize: Int = 64) throws -> [UInt16: [[UInt8]]] {
            var out: [UInt16: [[UInt8]]] = [:]
            let batch = PacketBatch(pool: pool)
            var start = 0
            while start < frames.count {
                for frame in frames[start..<min(start + batchSize, frames.count)] {
                    time += 1_000
                    _ = frame.withUnsafeBytes { batch.appendCopy(of: $0, inPort: port, timestamp: time) }
                }
                start += batchSize
                try chain.run(batch)
                for index in 0..<batch.count { out[batch.metadata[index].outPort, default: []].append(Array(batch.bytes(index))) }
                batch.releaseAll()
                for index in 0..<chain.emitted.count {
                    out[chain.emitted.metadata[index].outPort, default: []].append(Array(chain.emitted.bytes(index)))
                }
                chain.emitted.releaseAll()
            }
            return out
        }

        /// What the stages hold and counted, as text that two runs can compare.
        func stateSummary() -> [String] {
            var lines: [String] = []
            for (stage, counters) in zip(chain.stages, chain.counters) {
                let drops = counters.drops.nonZero.map { "\($0.reason)=\($0.count)" }.joined(separator: ",")
                lines.append("\(stage.name) rx=\(counters.received) tx=\(counters.transmitted) emit=\(counters.emitted) drops=\(drops)")
            }
            for stage in chain.stages {
                if let firewall = stage as? FirewallStage {
                    let counters = firewall.counters
                    let hits = (0...counters.ruleCount).map { "\(counters.hits(rule: $0))" }.joined(separator: ",")
                    lines.append("fw connections=\(firewall.tracker?.count ?? -1) hits=\(hits)")
                }
                if let balancer = stage as? LoadBalancerStage { lines.append("lb connections=\(balancer.connectionCount)") }
                if let nat = stage as? NATStage { lines.append("nat mappings=\(nat.mappingCount)") }
            }
            return lines
        }
    }

    // MARK: Frames

    /// A TCP or UDP frame with valid IPv4 and transport checksums.
    static func frame(
        from source: IPv4Address, _ sourcePort: UInt16, to destination: IPv4Address, _ destinationPort: UInt16,
        udp: Bool, tcpFlags: TCPFlags = .ack, payload: Int = 20, ttl: UInt8 = 64, dontFragment: Bool = false,
        sourceMAC: MACAddress = TestFrame.clientMAC, destinationMAC: MACAddress = insideRouterMAC
    ) -> [UInt8] {
        let header = udp ? 8 : 20
        var bytes = TestFrame.ipv4(
            from: source, to: destination, ipProtocol: udp ? IPProtocol.udp : IPProtocol.tcp,
            sourcePort: sourcePort, destinationPort: destinationPort, tcpFlags: tcpFlags,
            fragment: dontFragment ? 0x4000 : 0, ttl: ttl, transportBytes: header + payload,
            sourceMAC: sourceMAC, destinationMAC: destinationMAC
        ).bytes
        for index in 0..<payload { bytes[14 + 20 + header + index] = UInt8(truncatingIfNeeded: index &* 7 &+ Int(sourcePort)) }
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            IPv4Header(frame + 14).updateChecksum()
            Self.setTransportChecksum(frame, udp: udp)
        }
        return bytes
    }

    static func setTransportChecksum(_ frame: UnsafeMutableRawPointer, udp: Bool) {
        let ip = IPv4Header(frame + 14)
        let length = Int(ip.totalLength) - 20
        let offset = udp ? 6 : 16
        frame.storeNetworkUInt16(0, at: 34 + offset)
        let pseudo = InternetChecksum.pseudoHeaderSum(
            source: ip.source, destination: ip.destination, protocol: udp ? IPProtocol.udp : IPProtocol.tcp, length: length)
        var checksum = InternetChecksum.checksum(UnsafeRawPointer(frame + 34), byteCount: length, initial: pseudo)
        if udp && checksum == 0 { checksum = 0xFFFF }
        frame.storeNetworkUInt16(checksum, at: 34 + offset)
    }

    /// The reply a server (or the client) makes to `frame`: addresses, ports and MACs swapped,
    /// SYN answered with SYN-ACK, anything else with an ACK carrying data.
    static func reply(to frame: [UInt8]) -> [UInt8]? {
        guard frame.count >= 42, frame[12] == 0x08, frame[13] == 0x00 else { return nil }
        let ipProtocol = frame[23]
        guard ipProtocol == IPProtocol.tcp || ipProtocol == IPProtocol.udp else { return nil }
        let udp = ipProtocol == IPProtocol.udp
        let source = IPv4Address(frame[26], frame[27], frame[28], frame[29])
        let destination = IPv4Address(frame[30], frame[31], frame[32], frame[33])
        let sourcePort = UInt16(frame[34]) << 8 | UInt16(frame[35])
        let destinationPort = UInt16(frame[36]) << 8 | UInt16(frame[37])
        let flags = TCPFlags(rawValue: udp ? 0 : frame[47])
        if !udp && (flags.contains(.rst) || flags.contains(.fin)) { return nil }
        let answer: TCPFlags = flags.contains(.syn) ? [.syn, .ack] : [.ack, .psh]
        return Self.frame(
            from: destination, destinationPort, to: source, sourcePort, udp: udp, tcpFlags: answer,
            payload: flags.contains(.syn) ? 0 : 30,
            sourceMAC: mac(frame, at: 0), destinationMAC: mac(frame, at: 6))
    }

    static func mac(_ frame: [UInt8], at offset: Int) -> MACAddress {
        MACAddress(frame[offset], frame[offset + 1], frame[offset + 2], frame[offset + 3], frame[offset + 4], frame[offset + 5])
    }

    /// The flow a frame belongs to, for comparing the order within each flow.
    static func flowKey(_ frame: [UInt8]) -> String {
        guard frame.count >= 38, frame[12] == 0x08, frame[13] == 0x00 else { return "other" }
        return frame[23...37].map { String($0) }.joined(separator: ".")
    }

    /// Two runs' outputs of one round agree: the same frames per port, in the same order
    /// within each flow.
    static func expectSame(_ fast: [UInt16: [[UInt8]]], _ slow: [UInt16: [[UInt8]]], round: String) {
        #expect(Set(fast.keys) == Set(slow.keys), "\(round): ports")
        for (port, slowFrames) in slow {
            let fastFrames = fast[port] ?? []
            let sameFrames =
                fastFrames.sorted { $0.lexicographicallyPrecedes($1) } == slowFrames.sorted { $0.lexicographicallyPrecedes($1) }
            let fastFlows = Dictionary(grouping: fastFrames, by: flowKey)
            let slowFlows = Dictionary(grouping: slowFrames, by: flowKey)
            let differing = Set(fastFlows.keys).union(slowFlows.keys).filter { fastFlows[$0] != slowFlows[$0] }
            #expect(fastFrames.count == slowFrames.count, "\(round): port \(port) frame count")
            #expect(sameFrames && differing.isEmpty, "\(round): port \(port): \(differing.count) flows differ, e.g. \(differing.sorted().prefix(3))")
        }
    }

    // MARK: The scenario

    /// The client's opening packets: 300 connections to the TCP VIP, 60 to servers on the
    /// Internet (one client to many servers), 100 DNS queries to the UDP VIP and 40 to
    /// Internet resolvers.
    static func openings() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for index in 0..<300 {
            frames.append(frame(from: client, UInt16(20_000 + index), to: IPv4Address(198, 51, 100, 1), 80, udp: false, tcpFlags: .syn, payload: 0))
        }
        for index in 0..<60 {
            frames.append(
                frame(from: client, UInt16(30_000 + index), to: IPv4Address(192, 0, 2, UInt8(index + 1)), 443, udp: false, tcpFlags: .syn, payload: 0)
            )
        }
        for index in 0..<100 { frames.append(frame(from: client, UInt16(40_000 + index), to: IPv4Address(198, 51, 100, 1), 53, udp: true)) }
        for index in 0..<40 {
            frames.append(frame(from: client, UInt16(50_000 + index), to: IPv4Address(192, 0, 2, UInt8(100 + index)), 53, udp: true))
        }
        return frames
    }

    /// Data from the client on every flow (three packets each, interleaved across flows as a
    /// busy host sends them).
    static func data(rounds: Int = 3, payload: Int = 40) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for _ in 0..<rounds {
            for index in 0..<300 {
                frames.append(
                    frame(
                        from: client, UInt16(20_000 + index), to: IPv4Address(198, 51, 100, 1), 80, udp: false, tcpFlags: [.ack, .psh],
                        payload: payload))
            }
            for index in 0..<60 {
                frames.append(
                    frame(
                        from: client, UInt16(30_000 + index), to: IPv4Address(192, 0, 2, UInt8(index + 1)), 443, udp: false, tcpFlags: [.ack, .psh],
                        payload: payload))
            }
            for index in 0..<100 {
                frames.append(frame(from: client, UInt16(40_000 + index), to: IPv4Address(198, 51, 100, 1), 53, udp: true, payload: payload))
            }
            for index in 0..<40 {
                frames.append(
                    frame(from: client, UInt16(50_000 + index), to: IPv4Address(192, 0, 2, UInt8(100 + index)), 53, udp: true, payload: payload))
            }
        }
        return frames
    }

    /// Packets of established flows that the stages must see, each between ordinary packets
    /// of its flow in one batch.
    static func awkward() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        func vip(_ index: Int, _ flags: TCPFlags = [.ack, .psh], payload: Int = 40, ttl: UInt8 = 64, dontFragment: Bool = false) -> [UInt8] {
            frame(
                from: client, UInt16(20_000 + index), to: IPv4Address(198, 51, 100, 1), 80, udp: false, tcpFlags: flags, payload: payload, ttl: ttl,
                dontFragment: dontFragment)
        }
        for index in 0..<10 { frames += [vip(index), vip(index, ttl: 1), vip(index)] }  // TTL runs out at the router
        for index in 10..<20 { frames += [vip(index), vip(index, ttl: 2), vip(index)] }  // TTL just enough
        for index in 20..<30 {  // a corrupt header checksum
            var bad = vip(index)
            bad[25] &+= 1
            frames += [vip(index), bad, vip(index)]
        }
        for index in 30..<40 { frames += [vip(index), vip(index, payload: 1400, dontFragment: true), vip(index)] }  // over the WAN MTU
        for index in 40..<50 { frames += [vip(index), vip(index, payload: 1400), vip(index)] }  // over the MTU, may fragment
        for index in 50..<60 { frames += [vip(index), vip(index, [.fin, .ack]), vip(index, .ack, payload: 0)] }
        for index in 60..<70 { frames += [vip(index), vip(index, .rst, payload: 0), vip(index)] }
        return frames
    }

    /// Sends `frames` from the client, then the replies to what reached the outside, then the
    /// client's answers to what came back; returns every round's output.
    static func exchange(_ driver: Driver, _ frames: [[UInt8]]) throws -> [[UInt16: [[UInt8]]]] {
        let outbound = try driver.send(frames, port: 0)
        let replies = (outbound[1] ?? []).compactMap(reply)
        let inbound = try driver.send(replies, port: 1)
        return [outbound, inbound]
    }

    @Test func theFastPathForwardsExactlyAsTheStagesDo() throws {
        let fast = try Driver(flowCache: 4096)
        let slow = try Driver(flowCache: 0)
        #expect(fast.chain.fastPath != nil)
        #expect(slow.chain.fastPath == nil)
        var rounds: [(String, [[UInt8]])] = [
            ("open", Self.openings()), ("data", Self.data()), ("awkward", Self.awkward()), ("after", Self.data(rounds: 1)),
        ]
        rounds.append(("more", Self.data(rounds: 2, payload: 100)))
        for (name, frames) in rounds {
            let fastOut = try Self.exchange(fast, frames)
            let slowOut = try Self.exchange(slow, frames)
            Self.expectSame(fastOut[0], slowOut[0], round: "\(name) outbound")
            Self.expectSame(fastOut[1], slowOut[1], round: "\(name) inbound")
            #expect(fast.stateSummary() == slow.stateSummary(), "\(name): stage counters and tables")
        }
        // A pause longer than the UDP timeouts (NAT 120 s, load balancer 300 s): the cached UDP flows'
        // leases lapse; the packets after it take the stages and make new mappings.
        fast.time += 400_000_000_000
        slow.time += 400_000_000_000
        let fastLate = try Self.exchange(fast, Self.data(rounds: 2))
        let slowLate = try Self.exchange(slow, Self.data(rounds: 2))
        Self.expectSame(fastLate[0], slowLate[0], round: "late outbound")
        Self.expectSame(fastLate[1], slowLate[1], round: "late inbound")
        #expect(fast.stateSummary() == slow.stateSummary(), "late: stage counters and tables")
        let counters = try #require(fast.chain.fastPath?.counters)
        #expect(counters.hits > 4_000, "most data packets took the fast path (\(counters.hits))")
        #expect(counters.invalidated >= 70, "every awkward packet sent its flow back to the stages (\(counters.invalidated))")
        #expect(counters.full == 0 && fast.chain.fastPath!.cache.count <= 1_000)
        #expect(fast.pool.availableCount == 4096 && slow.pool.availableCount == 4096, "every buffer returned")
    }

    /// A route update reaches established flows at once: the cache is emptied and the next
    /// packets take the new gateway, as they do without a cache.
    @Test func aRouteChangeReachesCachedFlows() throws {
        for flowCache in [4096, 0] {
            let driver = try Driver(flowCache: flowCache)
            _ = try Self.exchange(driver, Self.openings())
            _ = try Self.exchange(driver, Self.data())
            let router = try #require(driver.chain.stages.first { $0 is RouterStage } as? RouterStage)
            var configuration = router.configuration
            configuration.routes = configuration.routes.map { route in
                var changed = route
                changed.gateway = IPv6Address(ipv4Mapped: IPv4Address(203, 0, 113, 1))
                return changed
            }
            try router.update(to: configuration)
            let out = try driver.send(Self.data(rounds: 1), port: 0)
            let toInternet = (out[1] ?? []).filter { $0[30] == 192 && $0[31] == 0 && $0[32] == 2 }
            #expect(toInternet.count == 100, "flow cache \(flowCache)")
            #expect(toInternet.allSatisfy { Self.mac($0, at: 0) == MACAddress(0x02, 0, 0, 0, 0x20, 0x01) }, "flow cache \(flowCache)")
            if let counters = driver.chain.fastPath?.counters { #expect(counters.flushes == 1) }
        }
    }

    /// The cache pays from two table lookups on: one VNF, or pass-through and decrement-ttl
    /// stages, run without it; a service-path chain or a stateless firewall too.
    @Test func onlyChainsWithTwoLookingStagesGetAFastPath() throws {
        let pool = PacketPool(slotCount: 64)
        let driver = try Driver(flowCache: 4096)
        let stages = driver.chain.stages
        func chain(_ picked: [any Stage]) -> Chain {
            Chain(stages: [ParseStage()] + picked, pool: pool, ingressStageCount: 1)
        }
        let firewall = try #require(stages.first { $0 is FirewallStage })
        let router = try #require(stages.first { $0 is RouterStage })
        #expect(chain([router]).fastPath == nil)
        #expect(chain([DecrementTTLStage(), PassThroughStage(name: "a"), router]).fastPath == nil)
        #expect(chain([firewall, router]).fastPath != nil)
        #expect(Chain(stages: [ParseStage(), firewall, router], pool: pool, ingressStageCount: 1, fastPathCapacity: 0).fastPath == nil)
        let stateless = FirewallStage(
            name: "acl", configuration: FirewallConfiguration(name: "acl", stateful: false, defaultAction: .allow, rules: []), portIndex: [:])
        #expect(chain([stateless, router]).fastPath == nil)
    }
}
