import NFVCatalog
import NFVDescriptors
import NFVIO
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVTestSupport
import Testing

/// RFC 1812 5.2.2: a router must verify the IPv4 header checksum and drop a bad one. A stage
/// that rewrites the header and patches the checksum incrementally would otherwise turn a
/// corrupt header into one that looks valid. Every rewriting stage of the shipped chains gets
/// the same traffic twice: once as sent, once with each header checksum off by one.
@Suite struct BadChecksumTests {
    /// Outbound UDP and TCP from the LAN to the Internet and to the web VIP, headers valid.
    static func frames() -> [MemoryPort.Frame] {
        (0..<8).map { index in
            let time = UInt64(1 + index) * 1_000_000
            return index % 2 == 0
                ? TestFrame.ipv4(
                    from: IPv4Address(10, 0, 1, 10), to: IPv4Address(198, 51, 100, 1), ipProtocol: IPProtocol.udp,
                    sourcePort: UInt16(40000 + index), destinationPort: 53, time: time)
                : TestFrame.ipv4(
                    from: IPv4Address(10, 20, 0, 1), to: IPv4Address(10, 20, 0, 100), ipProtocol: IPProtocol.tcp,
                    sourcePort: UInt16(40000 + index), destinationPort: 80, time: time)
        }
    }

    /// `frames` with the IPv4 header checksum changed (off by one), as a bit error would.
    static func corrupted(_ frames: [MemoryPort.Frame]) -> [MemoryPort.Frame] { frames.map(TestFrame.withBadIPv4Checksum) }

    /// Runs `frames` into port 0 of parse -> `stage`; returns what left and the stage's drops.
    static func run(_ stage: any Stage, _ frames: [MemoryPort.Frame]) throws -> (out: Int, drops: DropCounters) {
        let pool = PacketPool(slotCount: 64)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let input = MemoryPort(frames: frames, portNumber: 0)
        let output = MemoryPort(portNumber: 1)
        try Pipeline(sources: [input], chain: chain, sinks: [input, output], batch: PacketBatch(pool: pool)).runUntilExhausted()
        #expect(pool.availableCount == 64, "every buffer returned")
        return (input.transmitted.count + output.transmitted.count, chain.counters[1].drops)
    }

    /// The stage called `name` of a shipped chain, built as the data plane builds it.
    static func stage(_ name: String, of chain: String) throws -> any Stage {
        let loaded = try LoadedChain.load(path: Fixtures.root.appendingPathComponent("chains/\(chain)").path)
        let descriptor = try #require(loaded.descriptor.stages.first { $0.name == name })
        return ChainAssembly.makeStage(descriptor, chain: loaded)
    }

    static func stages() throws -> [(String, () throws -> any Stage)] {
        [
            ("decrement-ttl", { DecrementTTLStage() }),
            ("nat", { try stage("nat", of: "edge-gateway.yaml") }),
            ("load-balancer", { try stage("lb", of: "web-front.yaml") }),
        ]
    }

    @Test func everyRewritingStageDropsABadHeaderChecksumAndPassesAGoodOne() throws {
        for (name, make) in try Self.stages() {
            let good = try Self.run(try make(), Self.frames())
            #expect(good.drops[.badIPv4Checksum] == 0, "\(name)")
            #expect(good.out > 0, "\(name): valid headers pass")
            let bad = try Self.run(try make(), Self.corrupted(Self.frames()))
            #expect(bad.drops[.badIPv4Checksum] == 8, "\(name): \(bad.drops.nonZero)")
            #expect(bad.out == 0, "\(name): nothing with a bad header checksum leaves")
        }
    }
}
