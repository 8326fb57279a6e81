import NFVIO
import NFVPacket
import NFVPipeline
import NFVSwitch
import Testing

/// The switch stage over memory ports: MAC learning and flooding within VLANs, access and
/// trunk ports, flow priorities through the exact-match cache, rewrites with valid checksums.
@Suite struct SwitchStageTests {
    static let second: UInt64 = 1_000_000_000

    /// An Ethernet/IPv4/UDP frame (valid IPv4 and UDP checksums, computed here from RFC 768/791).
    static func udp(
        from source: UInt64, to destination: UInt64, vlan: UInt16? = nil, dstIP: IPv4Address = IPv4Address(10, 0, 0, 2),
        dstPort: UInt16 = 53, time: UInt64
    ) -> MemoryPort.Frame {
        let tag = vlan == nil ? 0 : 4
        var bytes = [UInt8](repeating: 0, count: 14 + tag + 28 + 4)
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            frame.storeNetworkUInt16(UInt16(truncatingIfNeeded: destination >> 32), at: 0)
            frame.storeNetworkUInt32(UInt32(truncatingIfNeeded: destination), at: 2)
            frame.storeNetworkUInt16(UInt16(truncatingIfNeeded: source >> 32), at: 6)
            frame.storeNetworkUInt32(UInt32(truncatingIfNeeded: source), at: 8)
            if let vlan {
                frame.storeNetworkUInt16(0x8100, at: 12)
                frame.storeNetworkUInt16(vlan, at: 14)
            }
            frame.storeNetworkUInt16(0x0800, at: 12 + tag)
            let ip = frame + 14 + tag
            ip.storeByte(0x45, at: 0)
            ip.storeNetworkUInt16(32, at: 2)
            ip.storeByte(64, at: 8)
            ip.storeByte(17, at: 9)
            ip.storeNetworkUInt32(IPv4Address(10, 0, 0, 1).rawValue, at: 12)
            ip.storeNetworkUInt32(dstIP.rawValue, at: 16)
            ip.storeNetworkUInt16(InternetChecksum.checksum(ip, byteCount: 20), at: 10)
            let udp = ip + 20
            udp.storeNetworkUInt16(40000, at: 0)
            udp.storeNetworkUInt16(dstPort, at: 2)
            udp.storeNetworkUInt16(12, at: 4)
            udp.storeNetworkUInt32(0x6E66_7621, at: 8)  // "nfv!"
            udp.storeNetworkUInt16(udpChecksum(ip), at: 6)
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: time)
    }

    /// RFC 768: the one's complement sum over the pseudo-header and the UDP datagram.
    static func udpChecksum(_ ip: UnsafeMutableRawPointer) -> UInt16 {
        var pseudo = [UInt8](repeating: 0, count: 12)
        pseudo.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!
            base.copyMemory(from: ip + 12, byteCount: 8)
            base.storeByte(17, at: 9)
            base.storeNetworkUInt16(ip.loadNetworkUInt16(at: 24), at: 10)  // UDP length
        }
        let initial = pseudo.withUnsafeBytes { UInt32(InternetChecksum.sum($0.baseAddress!, byteCount: 12)) }
        let value = InternetChecksum.checksum(ip + 20, byteCount: Int(ip.loadNetworkUInt16(at: 24)), initial: initial)
        return value == 0 ? 0xFFFF : value
    }

    /// Sends `frames` (each with its in-port) through parse + switch; returns what each port got.
    static func run(_ stage: SwitchStage, _ frames: [(port: UInt16, frame: MemoryPort.Frame)], portCount: Int = 6) throws -> [[MemoryPort.Frame]] {
        let pool = PacketPool(slotCount: 512)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let sinks = (0..<portCount).map { MemoryPort(portNumber: UInt16($0)) }
        // One source per packet keeps the given order across ports.
        for (port, frame) in frames {
            let source = MemoryPort(frames: [frame], portNumber: port)
            try Pipeline(sources: [source], chain: chain, sinks: sinks, batch: PacketBatch(pool: pool)).runUntilExhausted()
        }
        #expect(pool.availableCount == 512, "every buffer came back")
        return sinks.map(\.transmitted)
    }

    static let (a, b, c, d): (UInt64, UInt64, UInt64, UInt64) = (0x0200_0000_000A, 0x0200_0000_000B, 0x0200_0000_000C, 0x0200_0000_000D)

    static func l2Switch() throws -> SwitchStage {
        SwitchStage(
            name: "sw",
            ports: [
                .init(name: "p1", number: 1, mode: .access(vlan: 10)),
                .init(name: "p2", number: 2, mode: .access(vlan: 10)),
                .init(name: "p3", number: 3, mode: .access(vlan: 10)),
                .init(name: "p4", number: 4, mode: .access(vlan: 20)),
                .init(name: "trunk", number: 5, mode: .trunk(vlans: [10, 20], native: nil)),
            ], flows: [try FlowSyntax.parse("priority=0,actions=normal")])
    }

    @Test func learnsFloodsWithinTheVLANAndNeverReflects() throws {
        let stage = try Self.l2Switch()
        let out = try Self.run(
            stage,
            [
                (1, Self.udp(from: Self.a, to: Self.b, time: 1 * Self.second)),  // B unknown: flood VLAN 10
                (2, Self.udp(from: Self.b, to: Self.a, time: 2 * Self.second)),  // A learnt on p1
                (1, Self.udp(from: Self.a, to: Self.b, time: 3 * Self.second)),  // B learnt on p2
                (3, Self.udp(from: Self.c, to: 0xFFFF_FFFF_FFFF, time: 4 * Self.second)),  // broadcast
                (1, Self.udp(from: Self.d, to: Self.a, time: 5 * Self.second)),  // A is on p1 itself: not reflected
            ])
        #expect(out[1].count == 2, "p1: B's reply and C's broadcast")
        #expect(out[2].count == 3, "p2: the first flood, A's second frame and C's broadcast")
        #expect(out[3].count == 1, "p3: only the first flood")
        #expect(out[4].isEmpty, "p4 is VLAN 20: never flooded VLAN 10 traffic")
        #expect(out[5].count == 2, "the trunk carries VLAN 10 floods")
        for frame in out[1] + out[2] + out[3] { #expect(frame.bytes[12] == 0x08 && frame.bytes[13] == 0x00, "access ports get untagged frames") }
        for frame in out[5] {
            #expect(
                frame.bytes[12] == 0x81 && frame.bytes[13] == 0x00 && (UInt16(frame.bytes[14]) << 8 | UInt16(frame.bytes[15])) & 0x0FFF == 10,
                "the trunk gets VLAN 10 tags")
            #expect(frame.bytes[16] == 0x08 && frame.bytes[17] == 0x00)
        }
        let table = stage.macTable(now: 6 * Self.second)
        #expect(
            Set(table.map { "\($0.mac)@\($0.vlan)->\($0.port)" })
                == ["\(Self.a)@10->1", "\(Self.b)@10->2", "\(Self.c)@10->3", "\(Self.d)@10->1"])
    }

    @Test func trunkTagsInAndAccessUntagsOut() throws {
        let stage = try Self.l2Switch()
        let out = try Self.run(
            stage,
            [
                (5, Self.udp(from: Self.a, to: 0xFFFF_FFFF_FFFF, vlan: 20, time: Self.second)),  // VLAN 20 broadcast from the trunk
                (5, Self.udp(from: Self.a, to: Self.b, vlan: 30, time: 2 * Self.second)),  // VLAN 30: not carried
                (4, Self.udp(from: Self.b, to: Self.a, vlan: 20, time: 3 * Self.second)),  // a tagged frame on an access port
            ])
        #expect(out[4].count == 1 && out[4][0].bytes[12] == 0x08, "VLAN 20 reaches p4 untagged")
        #expect(out[1].isEmpty && out[2].isEmpty && out[3].isEmpty && out[5].isEmpty)
        // The untagged copy is the tagged frame minus its 4-byte tag, byte for byte.
        let sent = Self.udp(from: Self.a, to: 0xFFFF_FFFF_FFFF, time: Self.second).bytes
        #expect(out[4][0].bytes == sent)
    }

    /// Repeated frames of one flow hit the exact-match cache (the stage's inline path): each
    /// still follows 802.1Q as the first did. Same VLAN access to access: unchanged; access to
    /// an access port of another VLAN: dropped; access to a trunk: tagged; a tagged frame on an
    /// access port: dropped; counters count every packet.
    @Test func cachedFlowsKeepVLANRules() throws {
        let stage = SwitchStage(
            name: "sw",
            ports: [
                .init(name: "p1", number: 1, mode: .access(vlan: 10)),
                .init(name: "p2", number: 2, mode: .access(vlan: 10)),
                .init(name: "p4", number: 4, mode: .access(vlan: 20)),
                .init(name: "trunk", number: 5, mode: .trunk(vlans: [10, 20], native: nil)),
            ],
            flows: [
                try FlowSyntax.parse("in_port=1,actions=output:2"), try FlowSyntax.parse("in_port=2,actions=output:4"),
                try FlowSyntax.parse("in_port=4,actions=output:5"), try FlowSyntax.parse("in_port=3,actions=output:0"),
            ])
        let frame = Self.udp(from: Self.a, to: Self.b, time: Self.second)
        var frames: [(port: UInt16, frame: MemoryPort.Frame)] = []
        for _ in 0..<4 { frames += [(1, frame), (2, frame), (4, frame), (1, Self.udp(from: Self.a, to: Self.b, vlan: 10, time: Self.second))] }
        frames += (0..<3).map { _ in (3, frame) }  // ports 3 and 0 are not switch ports: frames pass as they are
        let pool = PacketPool(slotCount: 512)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let sinks = (0..<6).map { MemoryPort(portNumber: UInt16($0)) }
        for (port, frame) in frames {
            try Pipeline(sources: [MemoryPort(frames: [frame], portNumber: port)], chain: chain, sinks: sinks, batch: PacketBatch(pool: pool))
                .runUntilExhausted()
        }
        #expect(sinks[2].transmitted.count == 4 && sinks[2].transmitted.allSatisfy { $0.bytes == frame.bytes }, "p1 -> p2 unchanged")
        #expect(sinks[0].transmitted.count == 3 && sinks[0].transmitted.allSatisfy { $0.bytes == frame.bytes }, "3 -> 0 unchanged")
        #expect(sinks[4].transmitted.isEmpty, "p2 (VLAN 10) -> p4 (VLAN 20) never")
        #expect(sinks[5].transmitted.count == 4, "p4 -> trunk")
        for tagged in sinks[5].transmitted {
            #expect(tagged.bytes[12] == 0x81 && tagged.bytes[13] == 0x00 && tagged.bytes[15] == 20, "tagged with VLAN 20")
            #expect(Array(tagged.bytes[0..<12] + tagged.bytes[16...]) == frame.bytes)
        }
        #expect(chain.counters[1].drops[.switchVLANNotAllowed] == 8, "4 to the wrong VLAN, 4 tagged frames on an access port")
        let packets = stage.flowStatistics(now: 2 * Self.second).map(\.packets)
        #expect(packets == [4, 4, 4, 3], "every packet counted on its flow: \(packets)")
    }

    @Test func aHigherPriorityFlowAddedLaterWinsOverTheCache() throws {
        let low = try FlowSyntax.parse("priority=10,ip,actions=output:2")
        let stage = SwitchStage(name: "sw", ports: [], flows: [low])
        let first = try Self.run(stage, [(1, Self.udp(from: Self.a, to: Self.b, time: Self.second))])
        #expect(first[2].count == 1)
        let again = try Self.run(stage, [(1, Self.udp(from: Self.a, to: Self.b, time: 2 * Self.second))])
        #expect(again[2].count == 1 && stage.cacheHits >= 1, "the second packet hit the cache")
        stage.replaceFlows([low, try FlowSyntax.parse("priority=20,ip,nw_dst=10.0.0.2,actions=output:3")])
        let after = try Self.run(stage, [(1, Self.udp(from: Self.a, to: Self.b, time: 3 * Self.second))])
        #expect(after[3].count == 1 && after[2].isEmpty, "the new flow takes effect on the next batch")
        let statistics = stage.flowStatistics(now: 4 * Self.second)
        #expect(statistics.first { $0.flow.priority == 10 }?.packets == 2, "counters of an unchanged flow carry over")
        #expect(statistics.first { $0.flow.priority == 20 }?.packets == 1)
    }

    @Test func rewritesKeepChecksumsValid() throws {
        let stage = SwitchStage(
            name: "sw", ports: [],
            flows: [
                try FlowSyntax.parse("udp,tp_dst=53,actions=mod_nw_dst:192.0.2.53,mod_tp_dst:5353,mod_dl_dst:02:00:00:00:00:35,output:2")
            ])
        let out = try Self.run(stage, [(1, Self.udp(from: Self.a, to: Self.b, time: Self.second))])
        let frame = try #require(out[2].first)
        var rebuilt = Self.udp(from: Self.a, to: 0x0200_0000_0035, dstIP: IPv4Address(192, 0, 2, 53), dstPort: 5353, time: Self.second)
        rebuilt.timestamp = frame.timestamp
        #expect(frame.bytes == rebuilt.bytes, "same bytes as a frame built with the new values from scratch (checksums included)")
    }

    /// A rewrite never patches a corrupt header into one that looks valid (RFC 1812 5.2.2).
    @Test func anAddressRewriteDropsABadHeaderChecksum() throws {
        let stage = SwitchStage(
            name: "sw", ports: [],
            flows: [
                try FlowSyntax.parse("udp,tp_dst=53,actions=mod_nw_dst:192.0.2.53,output:2")
            ])
        var corrupt = Self.udp(from: Self.a, to: Self.b, time: Self.second)
        corrupt.bytes[25] &+= 1  // the IPv4 header checksum, off by one
        let out = try Self.run(stage, [(1, corrupt), (1, Self.udp(from: Self.a, to: Self.b, time: Self.second))])
        #expect(out[2].count == 1, "only the good frame is rewritten and sent")
    }

    @Test func flowTimeoutsRemoveFlows() throws {
        let stage = SwitchStage(
            name: "sw", ports: [],
            flows: [
                try FlowSyntax.parse("priority=10,ip,idle_timeout=2,actions=output:2"),
                try FlowSyntax.parse("priority=0,actions=output:3"),
            ])
        let out = try Self.run(
            stage,
            [
                (1, Self.udp(from: Self.a, to: Self.b, time: 1 * Self.second)),
                (1, Self.udp(from: Self.a, to: Self.b, time: 2 * Self.second)),
                (1, Self.udp(from: Self.a, to: Self.b, time: 5 * Self.second)),  // idle since 2 s: gone
            ])
        #expect(out[2].count == 2 && out[3].count == 1)
        #expect(stage.flowsExpired == 1 && stage.flows.count == 1)
    }
}
