import NFVIO
import NFVPacket
import NFVPipeline
import NFVSwitch
import Testing

/// The group table, meters and OpenFlow's other actions in the data path, over memory ports: a SELECT group spreads many
/// connections between one pair of hosts by its weights (and a reply takes its connection's
/// bucket), FAST_FAILOVER moves to the backup bucket in the next batch after the watched port
/// goes down, ALL copies with each bucket's own rewrites, and meters hold their rates.
@Suite struct SwitchGroupTests {
    static let second: UInt64 = 1_000_000_000

    /// A UDP frame between 10.0.0.1 and 10.0.0.2 with the given ports (and DSCP).
    static func udp(sourcePort: UInt16, destinationPort: UInt16, reply: Bool = false, dscp: UInt8 = 0, time: UInt64) -> MemoryPort.Frame {
        var frame = SwitchStageTests.udp(from: SwitchStageTests.a, to: SwitchStageTests.b, dstPort: destinationPort, time: time)
        frame.bytes.withUnsafeMutableBytes { buffer in
            let ip = buffer.baseAddress! + 14
            if dscp != 0 { ip.storeByte(dscp << 2, at: 1) }
            if reply {
                let source = ip.loadNetworkUInt32(at: 12)
                ip.storeNetworkUInt32(ip.loadNetworkUInt32(at: 16), at: 12)
                ip.storeNetworkUInt32(source, at: 16)
                ip.storeNetworkUInt16(destinationPort, at: 20)
                ip.storeNetworkUInt16(sourcePort, at: 22)
            } else {
                ip.storeNetworkUInt16(sourcePort, at: 20)
            }
            ip.storeNetworkUInt16(0, at: 10)
            ip.storeNetworkUInt16(InternetChecksum.checksum(ip, byteCount: 20), at: 10)
            ip.storeNetworkUInt16(0, at: 26)
            ip.storeNetworkUInt16(SwitchStageTests.udpChecksum(ip), at: 26)
        }
        return frame
    }

    /// Runs `frames` from `port` through parse + switch in batches; what each port got, and the
    /// switch stage's drops.
    static func run(_ stage: SwitchStage, from port: UInt16, _ frames: [MemoryPort.Frame], portCount: Int = 8) throws -> (
        [[MemoryPort.Frame]], DropCounters
    ) {
        let pool = PacketPool(slotCount: 1024)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let sinks = (0..<portCount).map { MemoryPort(portNumber: UInt16($0)) }
        let source = MemoryPort(frames: frames, portNumber: port)
        _ = try Pipeline(sources: [source], chain: chain, sinks: sinks, batch: PacketBatch(pool: pool)).runUntilExhausted()
        #expect(pool.availableCount == 1024, "every buffer came back")
        return (sinks.map(\.transmitted), chain.counters[1].drops)
    }

    static func stage(_ flows: [String], groups: [GroupEntry] = [], meters: [MeterEntry] = []) throws -> SwitchStage {
        let stage = SwitchStage(name: "sw", ports: [], flows: [])
        stage.replaceProgram(
            SwitchProgram(
                flows: try flows.map { try FlowSyntax.parse($0) }, groups: Dictionary(uniqueKeysWithValues: groups.map { ($0.id, $0) }),
                meters: Dictionary(uniqueKeysWithValues: meters.map { ($0.id, $0) })))
        return stage
    }

    @Test func selectSpreadsAHundredThousandConnectionsByWeight() throws {
        let weights: [UInt16] = [1, 2, 3, 4]
        let group = GroupEntry(
            id: 7, kind: .select,
            buckets: weights.enumerated().map { GroupEntry.Bucket(weight: $1, actions: [.output(UInt16($0 + 1))]) })
        let stage = try Self.stage(["in_port=0,actions=group:7", "in_port=6,actions=group:7"], groups: [group])
        // 100 000 connections between one client and one server: only the ports differ.
        var frames: [MemoryPort.Frame] = []
        for index in 0..<100_000 {
            frames.append(Self.udp(sourcePort: UInt16(1024 + index % 50_000), destinationPort: UInt16(443 + index / 50_000), time: Self.second))
        }
        let (out, drops) = try Self.run(stage, from: 0, frames)
        // Each bucket's share within 2 percentage points of its weight's share. (A hash spreads
        // connections binomially: the 10% bucket's share has a standard deviation of 0.095
        // points over 100 000 connections, so 2% of that share itself, 0.2 points, would be
        // missed one run in thirty by any hash; 5 deviations is the sanity bound on top.)
        let total = Double(weights.reduce(0) { $0 + Int($1) })
        for (index, weight) in weights.enumerated() {
            let share = Double(out[index + 1].count) / 100_000
            let expected = Double(weight) / total
            let deviation = (expected * (1 - expected) / 100_000).squareRoot()
            #expect(abs(share - expected) < 0.02, "bucket \(index): \(share) of the connections, weight says \(expected)")
            #expect(abs(share - expected) < 5 * deviation, "bucket \(index): \(share), more than 5 binomial deviations from \(expected)")
        }
        #expect(drops[.switchGroupNoBucket] == 0)
        #expect(group.counters.packets == 100_000)
        #expect(group.counters.buckets.map(\.packets) == (1...4).map { UInt64(out[$0].count) })

        // Replies (entering elsewhere) take the bucket of their connection: the hash is symmetric.
        var bucketOf: [UInt16: Int] = [:]
        for port in 1...4 {
            for frame in out[port].prefix(250) { bucketOf[UInt16(frame.bytes[34]) << 8 | UInt16(frame.bytes[35])] = port }
        }
        let replies = bucketOf.keys.map { Self.udp(sourcePort: $0, destinationPort: 443, reply: true, time: 2 * Self.second) }
        let (back, _) = try Self.run(stage, from: 6, replies)
        for port in 1...4 {
            for frame in back[port] {
                let clientPort = UInt16(frame.bytes[36]) << 8 | UInt16(frame.bytes[37])
                #expect(bucketOf[clientPort] == port, "the reply to \(clientPort) left on \(port)")
            }
        }
        #expect(back[1...4].map(\.count).reduce(0, +) == replies.count)
    }

    @Test func fastFailoverTakesTheBackupInTheNextBatch() throws {
        let group = GroupEntry(
            id: 1, kind: .fastFailover,
            buckets: [GroupEntry.Bucket(watchPort: 1, actions: [.output(1)]), GroupEntry.Bucket(watchPort: 2, actions: [.output(2)])])
        let stage = try Self.stage(["actions=group:1"], groups: [group])
        let frames = (0..<10).map { Self.udp(sourcePort: UInt16(2000 + $0), destinationPort: 80, time: Self.second) }
        var (out, _) = try Self.run(stage, from: 0, frames)
        #expect(out[1].count == 10 && out[2].isEmpty)
        stage.liveness.set(1, live: false)  // the watched port goes down
        (out, _) = try Self.run(stage, from: 0, frames)
        #expect(out[1].isEmpty && out[2].count == 10, "the next batch takes the backup")
        stage.liveness.set(2, live: false)
        let (none, drops) = try Self.run(stage, from: 0, frames)
        #expect(none.allSatisfy(\.isEmpty) && drops[.switchGroupNoBucket] == 10, "no live bucket: dropped and counted")
        stage.liveness.set(1, live: true)
        (out, _) = try Self.run(stage, from: 0, frames)
        #expect(out[1].count == 10, "back on the primary once it is live")
        #expect(group.counters.buckets.map(\.packets) == [20, 10])
    }

    @Test func allCopiesTakeOnlyTheirOwnBucketsRewrites() throws {
        let newMAC: UInt64 = 0x0200_0000_00EE
        let group = GroupEntry(
            id: 3, kind: .all,
            buckets: [
                GroupEntry.Bucket(actions: [.setEthDst(newMAC), .output(2)]),
                GroupEntry.Bucket(actions: [.setIPv4Destination(IPv4Address(10, 9, 9, 9)), .output(3)]),
                GroupEntry.Bucket(actions: [.output(4)]),
            ])
        let stage = try Self.stage(["actions=group:3"], groups: [group])
        let original = Self.udp(sourcePort: 5000, destinationPort: 53, time: Self.second)
        let (out, _) = try Self.run(stage, from: 0, [original])
        try #require(out[2].count == 1 && out[3].count == 1 && out[4].count == 1)
        #expect(out[4][0].bytes == original.bytes, "the plain bucket's copy is untouched")
        #expect(Array(out[2][0].bytes[0..<6]) == [2, 0, 0, 0, 0, 0xEE] && Array(out[2][0].bytes[14...]) == Array(original.bytes[14...]))
        let rewritten = out[3][0].bytes
        #expect(Array(rewritten[0..<14]) == Array(original.bytes[0..<14]) && Array(rewritten[30..<34]) == [10, 9, 9, 9])
        rewritten.withUnsafeBytes { buffer in
            let ip = UnsafeMutableRawPointer(mutating: buffer.baseAddress! + 14)
            #expect(InternetChecksum.checksum(ip, byteCount: 20) == 0, "IPv4 header checksum valid (RFC 791)")
            #expect(SwitchStageTests.udpChecksum(ip) == 0xFFFF, "UDP checksum valid over the new pseudo-header (RFC 768)")
        }
    }

    @Test func aFlowThatOutputsAndSendsToTheControllerDoesBoth() throws {
        // Faucet's pipeline: tag in table 0, CONTROLLER (to learn the source) and on in table 1,
        // untag and flood in table 2. The controller sees the packet as it was at CONTROLLER.
        let stage = try Self.stage([
            "table=0,actions=push_vlan:0x8100,mod_vlan_vid:100,goto_table:1", "table=1,actions=controller,goto_table:2",
            "table=2,actions=strip_vlan,output:2,output:3",
        ])
        let pool = PacketPool(slotCount: 64)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let controller = MemoryPort(portNumber: 99)
        chain.puntSink = controller
        let sinks = (0..<4).map { MemoryPort(portNumber: UInt16($0)) }
        let frame = Self.udp(sourcePort: 7000, destinationPort: 53, time: Self.second)
        _ = try Pipeline(sources: [MemoryPort(frames: [frame], portNumber: 0)], chain: chain, sinks: sinks, batch: PacketBatch(pool: pool))
            .runUntilExhausted()
        #expect(sinks[2].transmitted.map(\.bytes) == [frame.bytes] && sinks[3].transmitted.map(\.bytes) == [frame.bytes])
        let tagged = Array(frame.bytes[0..<12]) + [0x81, 0x00, 0x00, 100] + Array(frame.bytes[12...])
        #expect(controller.transmitted.map(\.bytes) == [tagged], "the controller got its copy, tagged as at CONTROLLER")
        #expect(pool.availableCount == 64)
    }

    @Test func decTTLLowersTheTTLAndDropsWhatWouldReachZero() throws {
        let stage = try Self.stage(["ip,actions=dec_ttl,output:2"])
        var last = Self.udp(sourcePort: 9000, destinationPort: 53, time: Self.second)
        last.bytes[22] = 1  // TTL 1: a router would drop it (RFC 1812 5.3.1)
        last.bytes.withUnsafeMutableBytes { buffer in
            let ip = buffer.baseAddress! + 14
            ip.storeNetworkUInt16(0, at: 10)
            ip.storeNetworkUInt16(InternetChecksum.checksum(ip, byteCount: 20), at: 10)
        }
        let (out, drops) = try Self.run(stage, from: 0, [Self.udp(sourcePort: 9000, destinationPort: 53, time: Self.second), last])
        try #require(out[2].count == 1)
        #expect(out[2][0].bytes[22] == 63, "TTL 64 left as 63")
        out[2][0].bytes.withUnsafeBytes { buffer in
            #expect(InternetChecksum.checksum(UnsafeMutableRawPointer(mutating: buffer.baseAddress! + 14), byteCount: 20) == 0)
        }
        #expect(drops[.ttlExpired] == 1)
        #expect(try FlowSyntax.parse("ip,actions=dec_ttl,output:2").actions == [.decrementTTL, .output(2)])
    }

    @Test func theActionSetRunsWhereThePipelineEndsInTheSpecsOrder() throws {
        let frame = Self.udp(sourcePort: 9100, destinationPort: 53, time: Self.second)
        let newMAC: [UInt8] = [2, 0, 0, 0, 0, 0x77]
        // Written in table 0, run after table 1's own output; the rewrite goes before the output
        // although written after it (OpenFlow 1.3.5 5.10).
        var stage = try Self.stage([
            "table=0,actions=write_actions(output:3,mod_dl_dst:02:00:00:00:00:77),goto_table:1", "table=1,actions=output:2",
        ])
        var (out, _) = try Self.run(stage, from: 0, [frame])
        #expect(out[2].map(\.bytes) == [frame.bytes], "table 1's output: the packet as it was")
        #expect(out[3].map { Array($0.bytes[0..<6]) } == [newMAC], "the action set's output, after its rewrite")
        // clear_actions empties the set.
        stage = try Self.stage(["table=0,actions=write_actions(output:3),goto_table:1", "table=1,actions=clear_actions,output:2"])
        (out, _) = try Self.run(stage, from: 0, [frame])
        #expect(out[2].count == 1 && out[3].isEmpty)
        // A group in the set wins over an output.
        let group = GroupEntry(id: 1, kind: .indirect, buckets: [GroupEntry.Bucket(actions: [.output(4)])])
        stage = try Self.stage(["actions=write_actions(output:3,group:1)"], groups: [group])
        (out, _) = try Self.run(stage, from: 0, [frame])
        #expect(out[4].count == 1 && out[3].isEmpty)
        let text = "actions=write_actions(output:3,mod_dl_dst:02:00:00:00:00:77),goto_table:1"
        let parsed = try FlowSyntax.parse(text)
        #expect(parsed.actions == [.write(.output(3)), .write(.setEthDst(0x0200_0000_0077)), .gotoTable(1)])
        #expect(FlowSyntax.format(parsed).hasSuffix(text), "\(FlowSyntax.format(parsed))")
    }

    @Test func writeMetadataCarriesAValueToTheLaterTables() throws {
        // Table 0 classifies by destination port into metadata; table 1 forwards by metadata.
        let stage = try Self.stage([
            "table=0,udp,tp_dst=53,actions=write_metadata:0x35/0xff,goto_table:1",
            "table=0,priority=1,actions=write_metadata:0x7/0xff,goto_table:1",
            "table=1,metadata=0x35/0xff,actions=output:2", "table=1,metadata=0x7,actions=output:3",
        ])
        let frames = [53, 80].map { Self.udp(sourcePort: 9200, destinationPort: UInt16($0), time: Self.second) }
        let (out, drops) = try Self.run(stage, from: 0, frames)
        #expect(out[2].count == 1 && out[3].count == 1 && drops[.switchTableMiss] == 0)
        let parsed = try FlowSyntax.parse("table=1,metadata=0x35/0xff,actions=write_metadata:0x1/0x1,output:2")
        #expect(parsed.match.value.metadata == 0x35 && parsed.match.mask.metadata == 0xFF)
        #expect(FlowSyntax.format(parsed).hasSuffix("metadata=0x35/0xff actions=write_metadata:0x1/0x1,output:2"), "\(FlowSyntax.format(parsed))")
    }

    @Test func inPortSendsThePacketBackWhereItCameFrom() throws {
        let stage = try Self.stage(["actions=in_port,output:2"])
        let frame = Self.udp(sourcePort: 9300, destinationPort: 53, time: Self.second)
        let (out, _) = try Self.run(stage, from: 5, [frame])
        #expect(out[5].map(\.bytes) == [frame.bytes] && out[2].map(\.bytes) == [frame.bytes])
        #expect(try FlowSyntax.parse("actions=output:in_port").actions == [.inPort])
    }

    /// The token bucket of the meter's definition: `rate` per second, `burst` deep, full at the start.
    static func expectedPasses(arrivals: [UInt64], cost: Double, rate: Double, burst: Double) -> Int {
        var tokens = burst
        var last = arrivals.first ?? 0
        var passed = 0
        for time in arrivals {
            tokens = min(burst, tokens + Double(time - last) / 1e9 * rate)
            last = time
            if tokens >= cost {
                tokens -= cost
                passed += 1
            }
        }
        return passed
    }

    @Test func aPacketsPerSecondMeterHoldsItsRate() throws {
        let meter = MeterEntry(id: 1, unit: .packetsPerSecond, bands: [.init(action: .drop, rate: 1000, burst: 20)], usesBurst: true)
        let stage = try Self.stage(["actions=meter:1,output:1"], meters: [meter])
        // 10 000 packets over 5 s (2000/s, jittered): about half pass.
        let arrivals = (0..<10_000).map { Self.second + UInt64($0) * 500_000 + UInt64(($0 * 7919) % 300_000) }
        let frames = arrivals.map { Self.udp(sourcePort: 4000, destinationPort: 53, time: $0) }
        let (out, drops) = try Self.run(stage, from: 0, frames)
        let expected = Self.expectedPasses(arrivals: arrivals, cost: 1, rate: 1000, burst: 20)
        #expect(out[1].count == expected, "\(out[1].count) passed; the token bucket says \(expected)")
        #expect(abs(Double(out[1].count) / 5000 - 1) < 0.01)
        #expect(drops[.meterDrop] == UInt64(10_000 - out[1].count))
        #expect(meter.state.packets == 10_000 && meter.state.bands[0].packets == drops[.meterDrop])
    }

    @Test func theControllersMeterLimitsPacketIns() throws {
        // A table-miss flow to the controller, and 1000 packets in one second: the controller's
        // meter (100 packets/s, burst 10) lets what its token bucket holds through.
        let meter = MeterEntry(
            id: MeterEntry.controller, unit: .packetsPerSecond, bands: [.init(action: .drop, rate: 100, burst: 10)], usesBurst: true)
        let stage = try Self.stage(["priority=0,actions=controller"], meters: [meter])
        let pool = PacketPool(slotCount: 1024)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let controller = MemoryPort(portNumber: 99)
        chain.puntSink = controller
        let arrivals = (0..<1000).map { Self.second + UInt64($0) * 1_000_000 }
        let frames = arrivals.map { Self.udp(sourcePort: UInt16(10_000 + $0 / 1_000_000 % 1000), destinationPort: 53, time: $0) }
        _ = try Pipeline(sources: [MemoryPort(frames: frames, portNumber: 0)], chain: chain, sinks: [], batch: PacketBatch(pool: pool))
            .runUntilExhausted()
        let expected = Self.expectedPasses(arrivals: arrivals, cost: 1, rate: 100, burst: 10)
        #expect(controller.transmitted.count == expected, "\(controller.transmitted.count) packet-ins; the token bucket says \(expected)")
        #expect(chain.counters[1].drops[.meterDrop] == UInt64(1000 - expected))
        #expect(pool.availableCount == 1024)
    }

    @Test func aKilobitMeterRemarksAssuredForwardingAboveItsRate() throws {
        // 60-byte frames (480 bits) at 1000/s = 480 kbit/s through a 240 kbit/s remark band.
        let meter = MeterEntry(
            id: 2, unit: .kilobitsPerSecond, bands: [.init(action: .remarkDSCP(precedence: 1), rate: 240, burst: 5)], usesBurst: true)
        let stage = try Self.stage(["actions=meter:2,output:1"], meters: [meter])
        let arrivals = (0..<2000).map { Self.second + UInt64($0) * 1_000_000 }
        let frames = arrivals.map { Self.udp(sourcePort: 4000, destinationPort: 53, dscp: 10, time: $0) }  // AF11
        let (out, _) = try Self.run(stage, from: 0, frames)
        #expect(out[1].count == 2000, "a remark band drops nothing")
        let remarked = out[1].filter { $0.bytes[15] >> 2 == 12 }  // AF12
        let expectedKept = Self.expectedPasses(arrivals: arrivals, cost: Double(frames[0].bytes.count * 8), rate: 240_000, burst: 5000)
        #expect(remarked.count == 2000 - expectedKept, "\(remarked.count) remarked; the token bucket says \(2000 - expectedKept)")
        #expect(out[1].allSatisfy { [10, 12].contains($0.bytes[15] >> 2) })
        for frame in remarked.prefix(5) {
            frame.bytes.withUnsafeBytes { buffer in
                #expect(InternetChecksum.checksum(UnsafeMutableRawPointer(mutating: buffer.baseAddress! + 14), byteCount: 20) == 0)
            }
        }
    }
}
