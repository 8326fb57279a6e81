import Foundation
import NFVDescriptors
import NFVIO
import NFVNAT
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVTestSupport
import Testing

/// The NAT (Tests/Fixtures/nat/nat.yaml) over the scapy scenario: SNAT of TCP, UDP and ICMP echo
/// and their replies, port preservation and allocation, endpoint-independent mapping, DNAT both
/// ways, hairpinning, ICMP errors translated back with their quotes (RFC 5508), expiry and port
/// exhaustion. Each port's output must be what scapy computed, field by field.
@Suite struct NATReplayTests {
    static func run(batchSize: Int) throws -> TwoPortReplay.Result {
        try TwoPortReplay.run(fixture: "nat", stage: "nat", vnf: "nat", config: "Tests/Fixtures/nat/nat.yaml", batchSize: batchSize)
    }

    @Test func translationsMatchScapy() throws {
        let result = try Self.run(batchSize: 256)
        let inside = CaptureComparison(actual: result.inside, expected: try Fixtures.frames("nat-inside-tx-expected.pcap"))
        let outside = CaptureComparison(actual: result.outside, expected: try Fixtures.frames("nat-outside-tx-expected.pcap"))
        #expect(inside.matches, "\(inside.text(expectedPath: "inside"))")
        #expect(outside.matches, "\(outside.text(expectedPath: "outside"))")
        let summary = try #require(Fixtures.json("nat-expected.json") as? [String: Any])
        let drops = try #require(summary["drops"] as? [String: Int])
        let nat = try #require(result.report.stages.first { $0.name == "nat" })
        #expect(nat.drops == drops.mapValues(UInt64.init))
    }

    @Test func resultsDoNotDependOnBatchSize() throws {
        let whole = try Self.run(batchSize: 256)
        for size in [1, 3, 7] {
            let split = try Self.run(batchSize: size)
            #expect(split.inside == whole.inside && split.outside == whole.outside, "batch size \(size)")
            #expect(split.report.stages == whole.report.stages, "batch size \(size): counters")
        }
    }

    /// Every translated packet carries valid checksums: IP header, and TCP/UDP/ICMP over the
    /// whole segment (recomputed from scratch here, independently of the incremental updates).
    @Test func everyChecksumOfTheOutputVerifies() throws {
        let result = try Self.run(batchSize: 256)
        for frame in result.inside + result.outside {
            let fields = Dictionary(uniqueKeysWithValues: PacketDissector.fields(of: frame.bytes).map { ($0.name, $0.value) })
            #expect(fields["malformed"] == nil)
            var bytes = frame.bytes
            bytes.withUnsafeMutableBytes { buffer in
                let base = buffer.baseAddress!
                let ip = IPv4Header(base + 14)
                #expect(ip.isChecksumValid)
                let l4 = base + 14 + ip.headerByteCount
                let length = Int(ip.totalLength) - ip.headerByteCount
                switch ip.protocol {
                case IPProtocol.icmp:
                    #expect(InternetChecksum.sum(UnsafeRawPointer(l4), byteCount: length) == 0xFFFF)
                case IPProtocol.tcp, IPProtocol.udp:
                    if ip.protocol == IPProtocol.udp && l4.loadNetworkUInt16(at: 6) == 0 { return }
                    let pseudo = InternetChecksum.pseudoHeaderSum(
                        source: ip.source, destination: ip.destination,
                        protocol: ip.protocol, length: length)
                    #expect(InternetChecksum.sum(UnsafeRawPointer(l4), byteCount: length, initial: pseudo) == 0xFFFF)
                default: break
                }
            }
        }
    }
}

@Suite struct NATConfigLoaderTests {
    @Test func mistakesAreReportedWithPlaceAndFix() {
        let text = """
            apiVersion: nfv/v1
            kind: NatConfig
            metadata: { name: n }
            spec:
              inside: lan
              outside: lan
              pool: [198.51.100.300]
              snat: [{ name: s, match: { srcPrefix: "2001:db8::/32" }, ports: 9-1 }]
              dnat: [{ name: d, proto: tcp, external: 198.51.100.2, internal: "10.0.0.1:80" }]
              filtering: adress-dependent
              sessions: { udpTimeout: 30s }
              onExhaustion: icmp-unreachble
            """
        var found: [String] = []
        do { _ = try NATConfigLoader().parse(text, file: "n.yaml") } catch { found = error.errors.map(\.description) }
        #expect(found.contains { $0.hasPrefix("n.yaml:6:12: error: spec.outside: inside and outside are the same port") })
        #expect(found.contains { $0.hasPrefix("n.yaml:7:10: error: spec.pool[0]: \"198.51.100.300\" is not an IPv4 address or range") })
        #expect(found.contains { $0.contains("spec.snat[0].match.srcPrefix: \"2001:db8::/32\" is not an IPv4 prefix") })
        #expect(found.contains { $0.contains("spec.snat[0].ports: \"9-1\" is not a port range") })
        #expect(found.contains { $0.contains("spec.dnat[0]: a port forward needs ports on both sides") })
        #expect(
            found.contains { $0.contains("spec.filtering: unknown filtering behaviour \"adress-dependent\"; did you mean \"address-dependent\"?") })
        #expect(found.contains { $0.contains("spec.sessions.udpTimeout: 30s is below the 120s the RFCs require; use at least 120s") })
        #expect(
            found.contains {
                $0.hasPrefix(
                    "n.yaml:12:17: error: spec.onExhaustion: unknown exhaustion behaviour \"icmp-unreachble\"; did you mean \"icmp-unreachable\"?")
            }, "\(found)")
    }
}

/// NAT source rules and forwards changed on a running stage.
@Suite struct NATLiveUpdateTests {
    /// A TCP SYN from `source`:`sourcePort` to `destination`:`port`, arriving on `port` (hand-built,
    /// valid IPv4 header checksum).
    static func syn(from source: IPv4Address, _ sourcePort: UInt16, to destination: IPv4Address, _ port: UInt16) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 54)
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            EthernetHeader(frame).etherType = EtherType.ipv4
            frame.storeByte(0x45, at: 14)
            let ip = IPv4Header(frame + 14)
            ip.totalLength = 40
            ip.ttl = 64
            frame.storeByte(IPProtocol.tcp, at: 23)
            ip.source = source
            ip.destination = destination
            ip.updateChecksum()
            TCPHeader(frame + 34).sourcePort = sourcePort
            TCPHeader(frame + 34).destinationPort = port
            frame.storeByte(0x50, at: 46)
            frame.storeByte(TCPFlags.syn.rawValue, at: 47)
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: 1_000_000_000)
    }

    /// Runs `frames` from the outside port; returns what reached the inside and the NAT's drops.
    static func inbound(_ stage: NATStage, _ frames: [MemoryPort.Frame]) throws -> (inside: [MemoryPort.Frame], drops: DropCounters) {
        let pool = PacketPool(slotCount: 256)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let inside = MemoryPort(portNumber: 0)
        let outside = MemoryPort(frames: frames, portNumber: 1)
        try Pipeline(sources: [outside], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool)).runUntilExhausted()
        return (inside.transmitted, chain.counters[1].drops)
    }

    @Test func aForwardAddedLiveOpensTheNextConnection() throws {
        let full = try NATConfigLoader().load(path: Fixtures.root.appendingPathComponent("vnf-configs/edge-nat.yaml").path).configuration
        var closed = full
        closed.forwards = []
        let stage = NATStage(name: "nat", configuration: closed, portIndex: ["inside": 0, "outside": 1])
        let knock = Self.syn(from: IPv4Address(203, 0, 113, 9), 40000, to: IPv4Address(198, 51, 100, 2), 8080)
        let before = try Self.inbound(stage, [knock])
        #expect(before.inside.isEmpty && before.drops[.natNoMapping] == 1)
        try stage.update(to: full)  // web-in: 198.51.100.2:8080 -> 10.0.1.10:80
        let after = try Self.inbound(stage, [knock])
        #expect(stage.updateCount == 1)
        let forwarded = try #require(after.inside.first)
        forwarded.bytes.withUnsafeBytes { bytes in
            #expect(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 30, as: UInt32.self)) == IPv4Address(10, 0, 1, 10).rawValue)
            #expect(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 36, as: UInt16.self)) == 80)
        }
        var repooled = full
        repooled.pool = [IPv4Address(198, 51, 100, 3)]
        #expect(throws: NATStage.UpdateError.self) { try stage.update(to: repooled) }
    }
}
