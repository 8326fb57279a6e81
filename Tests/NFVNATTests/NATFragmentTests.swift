import NFVCatalog
import NFVIO
import NFVNAT
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVTestSupport
import Testing

/// Later fragments without their first fragment (RFC 4787 REQ-14): the NAT holds them for a
/// bounded time and count, then gives up and counts it; nothing leaks from the pool.
@Suite struct NATFragmentTests {
    static let second: UInt64 = 1_000_000_000

    /// A later fragment (offset 64 bytes, the last) of datagram `identification` from the LAN
    /// host 10.0.1.10 to 203.0.113.53, or a whole UDP datagram when `whole`.
    static func frame(identification: UInt16, time: UInt64, whole: Bool = false) -> MemoryPort.Frame {
        TestFrame.ipv4(
            from: IPv4Address(10, 0, 1, 10), to: IPv4Address(203, 0, 113, 53), ipProtocol: IPProtocol.udp,
            destinationPort: 53, identification: identification, fragment: whole ? 0 : 8, transportBytes: 24, time: time)
    }

    static func natStage() throws -> any Stage {
        let loaded = try LoadedChain.load(path: Fixtures.root.appendingPathComponent("chains/edge-nat.yaml").path)
        return ChainAssembly.makeStage(try #require(loaded.descriptor.stages.first), chain: loaded)
    }

    @Test func anOrphanLaterFragmentIsHeldThenDroppedAfterTheTimeoutAndCounted() throws {
        let stage = try Self.natStage()
        let nat = try #require(stage as? NATStage)
        let pool = PacketPool(slotCount: 512)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let outside = MemoryPort(portNumber: 1)
        func send(_ frames: [MemoryPort.Frame]) throws {
            let inside = MemoryPort(frames: frames, portNumber: 0)
            try Pipeline(sources: [inside], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool)).runUntilExhausted()
        }
        try send([Self.frame(identification: 1, time: Self.second)])
        #expect(nat.fragmentCounts.held == 1 && outside.transmitted.isEmpty, "it waits for its first fragment")
        #expect(pool.availableCount == 511, "its buffer is held")
        try send([Self.frame(identification: 9, time: 20 * Self.second, whole: true)])
        #expect(nat.fragmentCounts.expired == 0, "20 s: still within the 30 s")
        try send([Self.frame(identification: 10, time: 32 * Self.second, whole: true)])
        #expect(nat.fragmentCounts.expired == 1, "given up after 30 s")
        #expect(outside.transmitted.count == 2, "only the two whole datagrams left")
        #expect(pool.availableCount == 512, "no buffer lost")
    }

    @Test func heldFragmentsAreBoundedAndTheRestDroppedAsNatFragment() throws {
        let stage = try Self.natStage()
        let nat = try #require(stage as? NATStage)
        let pool = PacketPool(slotCount: 1024)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let inside = MemoryPort(frames: (0..<300).map { Self.frame(identification: UInt16($0), time: Self.second) }, portNumber: 0)
        try Pipeline(sources: [inside], chain: chain, sinks: [inside, MemoryPort(portNumber: 1)], batch: PacketBatch(pool: pool))
            .runUntilExhausted()
        #expect(nat.fragmentCounts.held == 256)
        #expect(nat.fragmentCounts.refused == 44)
        #expect(chain.counters[1].drops[.natFragment] == 44)
        #expect(pool.availableCount == 1024 - 256)
    }
}
