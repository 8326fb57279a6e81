import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVTestSupport
import Testing

/// A first fragment whose TCP header is cut short (8 of its 20 bytes; RFC 1858's tiny
/// fragment) has a valid IP header: a Linux router forwards it, so a chain that only routes or
/// decrements the TTL must too; a firewall cannot judge its ports and drops it with the named
/// reason, `truncated_tcp`.
@Suite struct TinyFragmentTests {
    /// 10.0.1.10 -> 203.0.113.10, first fragment (MF, offset 0) holding 8 bytes of a TCP header.
    static var tinyFirstFragment: MemoryPort.Frame {
        TestFrame.ipv4(
            from: IPv4Address(10, 0, 1, 10), to: IPv4Address(203, 0, 113, 10), ipProtocol: IPProtocol.tcp,
            destinationPort: 23, identification: 0x1234, fragment: 0x2000, transportBytes: 8)
    }

    static func run(_ stages: [any Stage]) throws -> (out: [MemoryPort.Frame], chain: Chain) {
        let pool = PacketPool(slotCount: 16)
        let chain = Chain(stages: [ParseStage()] + stages, pool: pool, ingressStageCount: 1)
        let inside = MemoryPort(frames: [Self.tinyFirstFragment], portNumber: 0)
        let outside = MemoryPort(portNumber: 1)
        try Pipeline(sources: [inside], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool)).runUntilExhausted()
        return (outside.transmitted, chain)
    }

    @Test func theParserDescribesItToL3AndNamesTheProblem() {
        let buffer = GuardedBuffer(Self.tinyFirstFragment.bytes)
        var metadata = PacketMetadata(id: 0, dataOffset: 0, length: UInt16(buffer.count), inPort: 0, timestamp: 0)
        #expect(PacketParser.parse(buffer.start, metadata: &metadata) == .none)
        #expect(metadata.flags.contains(.ipv4) && metadata.flags.contains(.fragment) && !metadata.flags.contains(.hasL4))
        #expect(metadata.transportProblem == .truncatedTCP)
    }

    @Test func decrementTTLForwardsItAsALinuxRouterDoes() throws {
        let (out, chain) = try Self.run([DecrementTTLStage()])
        let forwarded = try #require(out.first)
        #expect(chain.counters[0].drops.nonZero.isEmpty, "the parse stage drops nothing")
        #expect(forwarded.bytes[22] == 63)
        forwarded.bytes.withUnsafeBytes { #expect(IPv4Header(UnsafeMutableRawPointer(mutating: $0.baseAddress! + 14)).isChecksumValid) }
        #expect(Array(forwarded.bytes[34...]) == Array(Self.tinyFirstFragment.bytes[34...]), "the payload untouched")
    }

    @Test func theEdgeRouterForwardsIt() throws {
        let loaded = try LoadedChain.load(path: Fixtures.root.appendingPathComponent("chains/edge-router.yaml").path)
        let router = ChainAssembly.makeStage(try #require(loaded.descriptor.stages.first), chain: loaded)
        let (_, chain) = try Self.run([router])
        #expect(chain.counters[1].drops.nonZero.isEmpty, "\(chain.counters[1].drops.nonZero)")
        #expect(chain.counters[1].transmitted + chain.counters[1].held == 1, "routed (or waiting for its next hop)")
    }

    @Test func aFirewallDropsItWithTheParsersReason() throws {
        let loaded = try LoadedChain.load(path: Fixtures.root.appendingPathComponent("chains/edge-firewall.yaml").path)
        let firewall = ChainAssembly.makeStage(try #require(loaded.descriptor.stages.first), chain: loaded)
        let (out, chain) = try Self.run([firewall])
        #expect(out.isEmpty)
        #expect(chain.counters[1].drops[.truncatedTCP] == 1, "\(chain.counters[1].drops.nonZero)")
    }
}
