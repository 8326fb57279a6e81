import Foundation
import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

/// A chain's runtime state taken out of one instance of chains/edge-gateway.yaml (firewall ->
/// router -> NAT) and into a fresh one: a TCP connection opened through the first keeps passing
/// through the second, both ways, with the same NAT mapping, where a fresh chain without the
/// state drops the server's next segment (no tracked connection, no mapping). The records go
/// through JSON, as the data plane's `state` command writes them.
@Suite struct StateRestoreTests {
    static let host = IPv4Address(10, 0, 1, 10)
    static let hostMAC = MACAddress(0x02, 0, 0, 0, 0x01, 0x0A)
    static let server = IPv4Address(203, 0, 113, 80)
    static let gateway = IPv4Address(198, 51, 100, 1)
    static let gatewayMAC = MACAddress(0x02, 0, 0, 0, 0x02, 0xFE)

    /// One instance of the chain, fed frame lists port by port.
    final class Instance {
        let pool = PacketPool(slotCount: 256)
        let chain: Chain
        let inside = MemoryPort(portNumber: 0)
        let outside = MemoryPort(portNumber: 1)

        init() throws {
            let loaded = try LoadedChain.load(path: Fixtures.root.appendingPathComponent("chains/edge-gateway.yaml").path)
            chain = ChainAssembly.makeChain(loaded, pool: pool)
        }

        func send(_ port: UInt16, _ frames: [MemoryPort.Frame]) throws {
            let source = MemoryPort(frames: frames, portNumber: port)
            try Pipeline(sources: [source], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool)).runUntilExhausted()
        }

        var stateful: [any StateSnapshotting] { chain.stages.compactMap { $0.unwrapped as? any StateSnapshotting } }
    }

    /// The neighbours' answers the router needs on each side (a restore on new TAPs does not
    /// take its table from the state: it asks again, holding the packet meanwhile).
    static func resolveNeighbours(_ instance: Instance) throws {
        try instance.send(1, [HeldPacketTests.arpReply(from: gateway, at: gatewayMAC, to: HeldPacketTests.wanMAC, IPv4Address(198, 51, 100, 2))])
        try instance.send(0, [HeldPacketTests.arpReply(from: host, at: hostMAC, to: HeldPacketTests.lanMAC, IPv4Address(10, 0, 1, 1))])
    }

    static func tcp(outbound: Bool, natPort: UInt16, flags: TCPFlags, time: UInt64) -> MemoryPort.Frame {
        outbound
            ? TestFrame.ipv4(
                from: host, to: server, ipProtocol: IPProtocol.tcp, sourcePort: 40_000, destinationPort: 80, tcpFlags: flags,
                sourceMAC: hostMAC, destinationMAC: HeldPacketTests.lanMAC, time: time)
            : TestFrame.ipv4(
                from: server, to: IPv4Address(198, 51, 100, 2), ipProtocol: IPProtocol.tcp, sourcePort: 80, destinationPort: natPort,
                tcpFlags: flags, sourceMAC: gatewayMAC, destinationMAC: HeldPacketTests.wanMAC, time: time)
    }

    /// TCP frames a port sent: (source port, destination port, destination address).
    static func tcpSent(_ port: MemoryPort) -> [(source: UInt16, destination: UInt16, to: [UInt8])] {
        HeldPacketTests.ipFrames(port).filter { $0.bytes[23] == IPProtocol.tcp }.map { frame in
            (
                UInt16(frame.bytes[34]) << 8 | UInt16(frame.bytes[35]), UInt16(frame.bytes[36]) << 8 | UInt16(frame.bytes[37]),
                Array(frame.bytes[30..<34])
            )
        }
    }

    @Test func anOpenConnectionKeepsPassingThroughARestoredChain() throws {
        let first = try Instance()
        try Self.resolveNeighbours(first)
        try first.send(0, [Self.tcp(outbound: true, natPort: 0, flags: .syn, time: 1_000_000_000)])
        let natPort = try #require(Self.tcpSent(first.outside).first?.source, "the SYN left translated")
        try first.send(1, [Self.tcp(outbound: false, natPort: natPort, flags: [.syn, .ack], time: 1_001_000_000)])
        try first.send(0, [Self.tcp(outbound: true, natPort: 0, flags: .ack, time: 1_002_000_000)])
        #expect(Self.tcpSent(first.inside).count == 1, "the SYN-ACK came in")

        // Out of the first instance, through JSON, into a fresh one.
        let now: UInt64 = 1_003_000_000
        let records = try JSONDecoder().decode(
            [StageStateRecord].self, from: JSONEncoder().encode(first.stateful.map { $0.exportState(now: now) }))
        #expect(records.map(\.stage) == ["fw", "router", "nat"])
        let connection = try #require(records[0].connections?.first)
        #expect(connection.source == "10.0.1.10" && connection.destination == "203.0.113.80" && connection.state == "ESTABLISHED")
        #expect(connection.rule == "allow-web")
        // The router's neighbours as it resolved them (what a migration carries; a restore on
        // new TAPs asks again).
        let neighbors = try #require(records[1].neighbors)
        #expect(neighbors.contains { $0.address == "10.0.1.10" && $0.interface == "lan" }, "\(neighbors)")
        let mapping = try #require(records[2].natMappings?.first)
        #expect(mapping.inside == "10.0.1.10" && mapping.outside == "198.51.100.2" && mapping.outsidePort == Int(natPort))

        let restored = try Instance()
        var taken = 0
        for (stage, record) in zip(restored.stateful, records) { taken += try stage.importState(record, now: now) }
        #expect(taken == 2 + neighbors.count)
        #expect(restored.stateful.map { $0.exportState(now: now) } == records, "what it took is what it would give back")
        try Self.resolveNeighbours(restored)
        // The server's next segment comes in to the same outside port and reaches the host ...
        try restored.send(1, [Self.tcp(outbound: false, natPort: natPort, flags: [.ack, .psh], time: 1_004_000_000)])
        let delivered = Self.tcpSent(restored.inside)
        #expect(delivered.count == 1 && delivered.first?.destination == 40_000 && delivered.first?.to == [10, 0, 1, 10], "\(delivered)")
        // ... and the host's answer leaves from it.
        try restored.send(0, [Self.tcp(outbound: true, natPort: 0, flags: .ack, time: 1_005_000_000)])
        #expect(Self.tcpSent(restored.outside).map(\.source) == [natPort], "the same NAT mapping")

        // Without the state, the same segment goes nowhere.
        let fresh = try Instance()
        try Self.resolveNeighbours(fresh)
        try fresh.send(1, [Self.tcp(outbound: false, natPort: natPort, flags: [.ack, .psh], time: 1_004_000_000)])
        #expect(Self.tcpSent(fresh.inside).isEmpty, "a chain without the state drops it")
    }

    @Test func stateThatDoesNotFitIsRefusedWithTheReason() throws {
        let instance = try Instance()
        let nat = try #require(instance.stateful.last)
        let elsewhere = StageStateRecord(
            stage: "nat", kind: "nat",
            natMappings: [
                NATMappingRecord(
                    protocolNumber: 6, inside: "10.0.1.10", insidePort: 40_000, outside: "192.0.2.9", outsidePort: 40_000,
                    remainingMilliseconds: 1000, established: true, repliedTo: true, remotes: [])
            ])
        #expect(throws: StateImportError.self) { try nat.importState(elsewhere, now: 1) }
        do {
            _ = try nat.importState(elsewhere, now: 1)
        } catch {
            #expect(error.description == "stage nat: mapping to 192.0.2.9 is outside the NAT's pool")
        }
    }
}
