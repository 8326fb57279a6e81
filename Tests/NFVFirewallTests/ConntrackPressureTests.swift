import NFVDescriptors
import NFVFirewall
import NFVFlow
import NFVIO
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

/// Fills pool buffers with TCP/UDP frames straight from a rule, without a Swift array per packet:
/// packet `n` is built by `describe(n)`.
final class GeneratedSource: PacketSource {
    struct Packet {
        var source: UInt32
        var sourcePort: UInt16
        var destinationPort: UInt16
        var ipProtocol: UInt8
        var tcpFlags: UInt8
    }

    let total: Int
    let describe: (Int) -> Packet
    let counters = PortCounters()
    var next = 0

    init(total: Int, describe: @escaping (Int) -> Packet) {
        self.total = total
        self.describe = describe
    }

    var isExhausted: Bool { next >= total }

    func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        var appended = 0
        while appended < limit, !batch.isFull, next < total, let id = batch.pool.allocate() {
            let packet = describe(next)
            let frame = batch.pool.slot(id) + batch.pool.headroom
            let length = packet.ipProtocol == IPProtocol.tcp ? 54 : 42
            frame.initializeMemory(as: UInt8.self, repeating: 0, count: 60)
            EthernetHeader(frame).destination = MACAddress(0x02, 0, 0, 0, 0, 0x02)
            EthernetHeader(frame).source = MACAddress(0x02, 0, 0, 0, 0, 0x01)
            EthernetHeader(frame).etherType = EtherType.ipv4
            frame.storeByte(0x45, at: 14)
            let ip = IPv4Header(frame + 14)
            ip.totalLength = UInt16(length - 14)
            ip.ttl = 64
            frame.storeByte(packet.ipProtocol, at: 23)
            ip.source = IPv4Address(rawValue: packet.source)
            ip.destination = IPv4Address(203, 0, 113, 10)
            ip.updateChecksum()
            frame.storeNetworkUInt16(packet.sourcePort, at: 34)
            frame.storeNetworkUInt16(packet.destinationPort, at: 36)
            if packet.ipProtocol == IPProtocol.tcp {
                frame.storeByte(0x50, at: 46)
                frame.storeByte(packet.tcpFlags, at: 47)
            } else {
                frame.storeNetworkUInt16(8, at: 38)
            }
            _ = batch.append(
                PacketMetadata(
                    id: id, dataOffset: UInt16(batch.pool.headroom), length: UInt16(length),
                    inPort: 0, timestamp: UInt64(next) * 1_000))
            next += 1
            appended += 1
        }
        return appended
    }
}

/// Counts what it is given and frees it.
final class CountingSink: PacketSink {
    let counters = PortCounters()
    var established = 0
    func transmit(_ batch: PacketBatch) throws(PortError) {
        for index in 0..<batch.count where batch.frame(index).loadByte(at: 23) == IPProtocol.tcp {
            established += 1
        }
        counters.transmittedPackets &+= UInt64(batch.count)
        batch.releaseAll()
    }
}

@Suite struct ConntrackPressureTests {
    /// The acceptance case through the firewall: 1,000 established TCP connections, then 1M
    /// distinct new UDP flows into a table of 65,536 connections, with a packet of an
    /// established connection every 100 packets. The table's memory never changes, every
    /// established packet passes, the overflow is counted, nothing crashes.
    @Test func aMillionNewFlowsWhileEstablishedConnectionsKeepPassing() throws {
        var configuration = FirewallConfiguration(name: "pressure", stateful: true, defaultAction: .allow, rules: [])
        configuration.connectionCapacity = 65_536
        let stage = FirewallStage(name: "fw", configuration: configuration, portIndex: ["inside": 0])
        let tracker = try #require(stage.tracker)
        let memory = tracker.memoryByteCount
        let pool = PacketPool(slotCount: 1024)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)

        // 1,000 connections opened with SYN and made established by hand (the reply side is not
        // needed for this test): find each entry and walk it through the handshake.
        let opening = GeneratedSource(total: 1000) {
            GeneratedSource.Packet(
                source: 0x0A01_0000 + UInt32($0), sourcePort: 30000, destinationPort: 443,
                ipProtocol: IPProtocol.tcp, tcpFlags: TCPFlags.syn.rawValue)
        }
        try Pipeline(sources: [opening], chain: chain, sinks: [CountingSink(), CountingSink()], batch: PacketBatch(pool: pool))
            .runUntilExhausted()
        for index in 0..<1000 {
            let key = TrackingKey(
                FlowKey(
                    source: IPv6Address(ipv4Mapped: IPv4Address(rawValue: 0x0A01_0000 + UInt32(index))),
                    destination: IPv6Address(ipv4Mapped: IPv4Address(203, 0, 113, 10)),
                    sourcePort: 30000, destinationPort: 443, ipProtocol: IPProtocol.tcp))
            let slot = tracker.find(key, now: 1_000_000)
            try #require(slot >= 0)
            let reply = TrackingKey(
                FlowKey(
                    source: IPv6Address(ipv4Mapped: IPv4Address(203, 0, 113, 10)),
                    destination: IPv6Address(ipv4Mapped: IPv4Address(rawValue: 0x0A01_0000 + UInt32(index))),
                    sourcePort: 443, destinationPort: 30000, ipProtocol: IPProtocol.tcp))
            #expect(tracker.update(slot, key: reply, tcpFlags: [.syn, .ack], now: 1_000_000))
            #expect(tracker.update(slot, key: key, tcpFlags: [.ack], now: 1_000_000))
        }

        let sink = CountingSink()
        let flood = GeneratedSource(total: 1_010_000) { index in
            if index % 101 == 100 {  // an ACK of an established connection
                return GeneratedSource.Packet(
                    source: 0x0A01_0000 + UInt32(index / 101 % 1000), sourcePort: 30000,
                    destinationPort: 443, ipProtocol: IPProtocol.tcp, tcpFlags: TCPFlags.ack.rawValue)
            }
            let flow = index - index / 101
            return GeneratedSource.Packet(
                source: 0x0B00_0000 + UInt32(flow >> 8), sourcePort: UInt16(1024 + flow & 0xFF),
                destinationPort: 53, ipProtocol: IPProtocol.udp, tcpFlags: 0)
        }
        try Pipeline(sources: [flood], chain: chain, sinks: [sink, sink], batch: PacketBatch(pool: pool)).runUntilExhausted()
        let established = 1_010_000 / 101
        #expect(sink.established == established, "every packet of an established connection passed")
        #expect(tracker.memoryByteCount == memory)
        #expect(tracker.count <= 65_536)
        let drops = chain.counters[1].drops
        #expect(tracker.counters.evicted + tracker.counters.refused >= 1_000_000 - 65_536)
        #expect(drops[.conntrackTableFull] == tracker.counters.refused)
        #expect(pool.availableCount == 1024)
    }
}
