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

    /// A later fragment (offset 64 bytes) of datagram `identification` from the LAN host
    /// 10.0.1.10 to 203.0.113.53, or a whole UDP datagram when `whole`.
    static func frame(identification: UInt16, time: UInt64, whole: Bool = false) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0x77, count: 14 + 20 + 24)
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            EthernetHeader(frame).destination = MACAddress(0x02, 0, 0, 0, 0x01, 0x01)
            EthernetHeader(frame).source = MACAddress(0x02, 0, 0, 0, 0x01, 0x0A)
            EthernetHeader(frame).etherType = EtherType.ipv4
            frame.storeByte(0x45, at: 14)
            frame.storeByte(0, at: 15)
            let ip = IPv4Header(frame + 14)
            ip.totalLength = 44
            frame.storeNetworkUInt16(identification, at: 18)
            frame.storeNetworkUInt16(whole ? 0 : 8, at: 20)  // offset 8 x 8 bytes, no MF: the last fragment
            ip.ttl = 64
            frame.storeByte(IPProtocol.udp, at: 23)
            ip.source = IPv4Address(10, 0, 1, 10)
            ip.destination = IPv4Address(203, 0, 113, 53)
            ip.updateChecksum()
            if whole {
                frame.storeNetworkUInt16(40000, at: 34)
                frame.storeNetworkUInt16(53, at: 36)
                frame.storeNetworkUInt16(24, at: 38)
                frame.storeNetworkUInt16(0, at: 40)
            }
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: time)
    }

    static func natStage() throws -> any Stage {
        let loaded = try ChainFactory.load(path: Fixtures.root.appendingPathComponent("chains/edge-nat.yaml").path)
        return ChainFactory.makeStage(try #require(loaded.descriptor.stages.first), chain: loaded)
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
