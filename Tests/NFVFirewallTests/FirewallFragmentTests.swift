import NFVCatalog
import NFVFirewall
import NFVIO
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

/// Fragmented datagrams through the stateful edge firewall: Linux defragments before
/// conntrack, so a datagram the rules allow passes whole, fragments in any order, and one they
/// refuse is lost whole. Our firewall does not reassemble: later fragments follow their first
/// fragment's verdict, and wait for it when they come first.
@Suite struct FirewallFragmentTests {
    static let second: UInt64 = 1_000_000_000

    /// Fragment `part` of a UDP datagram from the LAN host to 198.51.100.53 port `port`: part
    /// 0 is the first fragment (UDP header, more to come), part 1 the last (offset 64 bytes).
    static func fragment(_ part: Int, identification: UInt16, port: UInt16, time: UInt64) -> MemoryPort.Frame {
        TestFrame.ipv4(
            from: IPv4Address(10, 0, 1, 10), to: IPv4Address(198, 51, 100, 53), ipProtocol: IPProtocol.udp,
            sourcePort: 40_000 &+ identification, destinationPort: port, identification: identification,
            fragment: part == 0 ? 0x2000 : 8, transportBytes: part == 0 ? 64 : 24, time: time)
    }

    struct Run {
        let firewall: FirewallStage
        let chain: Chain
        let pool = PacketPool(slotCount: 512)
        let outside = MemoryPort(portNumber: 1)

        init() throws {
            let loaded = try LoadedChain.load(path: Fixtures.root.appendingPathComponent("chains/edge-firewall.yaml").path)
            let stage = ChainAssembly.makeStage(try #require(loaded.descriptor.stages.first), chain: loaded)
            firewall = try #require(stage as? FirewallStage)
            chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        }

        func send(_ frames: [MemoryPort.Frame]) throws {
            let inside = MemoryPort(frames: frames, portNumber: 0)
            try Pipeline(sources: [inside], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool))
                .runUntilExhausted()
        }
    }

    @Test func anAllowedDatagramPassesWholeInEitherOrder() throws {
        let run = try Run()
        // In order, then out of order (the last fragment first), interleaved with each other.
        try run.send([
            Self.fragment(0, identification: 1, port: 53, time: Self.second),
            Self.fragment(1, identification: 2, port: 53, time: Self.second + 1),
            Self.fragment(1, identification: 1, port: 53, time: Self.second + 2),
            Self.fragment(0, identification: 2, port: 53, time: Self.second + 3),
        ])
        let identifications = run.outside.transmitted.map { UInt16($0.bytes[18]) << 8 | UInt16($0.bytes[19]) }
        #expect(run.outside.transmitted.count == 4, "both fragments of both datagrams left")
        #expect(identifications.filter { $0 == 1 }.count == 2 && identifications.filter { $0 == 2 }.count == 2)
        #expect(run.chain.counters[1].drops.nonZero.isEmpty)
        let dns = try #require(run.firewall.configuration.rules.firstIndex { $0.name == "allow-dns" })
        #expect(run.firewall.counters.hits(rule: dns).packets == 4, "every fragment counts under the rule that allowed it")
        #expect(run.pool.availableCount == 512)
    }

    @Test func aRefusedDatagramIsLostWhole() throws {
        let run = try Run()
        try run.send([
            Self.fragment(0, identification: 7, port: 5353, time: Self.second),
            Self.fragment(1, identification: 7, port: 5353, time: Self.second + 1),
        ])
        #expect(run.outside.transmitted.isEmpty)
        #expect(run.chain.counters[1].drops[.firewallDefault] == 1, "the first fragment meets the default drop")
        #expect(run.pool.availableCount == 511, "the later fragment waits for a first fragment that will not pass")
        try run.send([Self.fragment(0, identification: 8, port: 53, time: 40 * Self.second)])
        #expect(run.pool.availableCount == 512, "given up after 30 s, as the kernel's reassembly")
        #expect(run.outside.transmitted.count == 1, "only the allowed datagram's first fragment left")
    }
}
