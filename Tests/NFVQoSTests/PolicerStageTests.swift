import NFVIO
import NFVPacket
import NFVPipeline
import NFVQoS
import Testing

/// The policer stage over memory ports, with scripted arrival times: a packets-per-second
/// policer holds 64-byte UDP to its rate, a two-rate policer marks yellow and drops red, a
/// colour-aware one starts from the packet's DSCP, and two workers' stages share one rate.
@Suite struct PolicerStageTests {
    static let second: UInt64 = 1_000_000_000

    /// A 64-byte Ethernet/IPv4/UDP frame (valid IPv4 header checksum) with `dscp`.
    static func udp(dscp: UInt8 = 0, sourcePort: UInt16 = 4000, time: UInt64) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            frame.storeNetworkUInt16(0x0200, at: 0)
            frame.storeNetworkUInt32(0x0000_000B, at: 2)
            frame.storeNetworkUInt16(0x0200, at: 6)
            frame.storeNetworkUInt32(0x0000_000A, at: 8)
            frame.storeNetworkUInt16(0x0800, at: 12)
            let ip = frame + 14
            ip.storeByte(0x45, at: 0)
            ip.storeByte(dscp << 2, at: 1)
            ip.storeNetworkUInt16(50, at: 2)
            ip.storeByte(64, at: 8)
            ip.storeByte(17, at: 9)
            ip.storeNetworkUInt32(IPv4Address(10, 0, 0, 1).rawValue, at: 12)
            ip.storeNetworkUInt32(IPv4Address(10, 0, 0, 2).rawValue, at: 16)
            ip.storeNetworkUInt16(InternetChecksum.checksum(ip, byteCount: 20), at: 10)
            ip.storeNetworkUInt16(sourcePort, at: 20)
            ip.storeNetworkUInt16(9, at: 22)
            ip.storeNetworkUInt16(30, at: 24)
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: time)
    }

    /// Runs `frames` through parse + `stages` (one chain per stage, as workers would, taking
    /// the frames in turn); what left, and the policer stages' drops.
    static func run(_ stages: [PolicerStage], _ frames: [MemoryPort.Frame]) throws -> (out: [MemoryPort.Frame], dropped: UInt64) {
        var out: [MemoryPort.Frame] = []
        var dropped: UInt64 = 0
        for (worker, stage) in stages.enumerated() {
            let pool = PacketPool(slotCount: 512)
            let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
            let sink = MemoryPort(portNumber: 1)
            let mine = frames.enumerated().filter { $0.offset % stages.count == worker }.map(\.element)
            _ = try Pipeline(sources: [MemoryPort(frames: mine, portNumber: 0)], chain: chain, sinks: [nil, sink], batch: PacketBatch(pool: pool))
                .runUntilExhausted()
            out += sink.transmitted
            dropped += chain.counters[1].drops[.policerDrop]
            #expect(pool.availableCount == 512)
        }
        return (out, dropped)
    }

    @Test func aPacketsPerSecondPolicerHoldsSmallUDPToItsRate() throws {
        // 10 000 packets/s committed; 64-byte UDP offered at 25 000/s for 2 s.
        let configuration = PolicerConfiguration(
            name: "pps", marker: .singleRate, unit: .packets, committedRate: 10_000, committedBurst: 20, secondBurst: 0)
        let stage = PolicerStage(name: "policer", configuration: configuration, state: PolicerState(configuration.algorithm))
        let frames = (0..<50_000).map { Self.udp(time: Self.second + UInt64($0) * 40_000) }
        let (out, dropped) = try Self.run([stage], frames)
        let rate = Double(out.count) / 2
        #expect(abs(rate / 10_000 - 1) < 0.05, "\(rate) packets/s passed")
        #expect(dropped == UInt64(50_000 - out.count))
        #expect(stage.state.counted(.green).packets == UInt64(out.count) && stage.state.counted(.red).packets == dropped)
    }

    @Test func twoWorkersShareOneRate() throws {
        let configuration = PolicerConfiguration(
            name: "shared", marker: .singleRate, unit: .packets, committedRate: 10_000, committedBurst: 20, secondBurst: 0)
        let state = PolicerState(configuration.algorithm)
        let stages = (0..<2).map { _ in PolicerStage(name: "policer", configuration: configuration, state: state) }
        // The two workers' packets interleave in time; each worker runs its own in order.
        let frames = (0..<40_000).map { Self.udp(time: Self.second + UInt64($0) * 50_000) }
        let (out, _) = try Self.run(stages, frames)
        #expect(abs(Double(out.count) / 2 / 10_000 - 1) < 0.05, "\(Double(out.count) / 2) packets/s passed in all, not twice the rate")
    }

    @Test func aTwoRatePolicerMarksYellowAndDropsRed() throws {
        // trTCM in bits: 1 Mbit/s committed, 2 Mbit/s peak; 64-byte frames (512 bits) at 6000/s
        // (3 Mbit/s) for a second: about a third green, a third yellow (AF12), a third red.
        let configuration = PolicerConfiguration(
            name: "tr", marker: .twoRate, unit: .bits, committedRate: 1_000_000, committedBurst: 1_500, secondRate: 2_000_000,
            secondBurst: 3_000, yellow: .markDSCP(12), red: .drop)
        let stage = PolicerStage(name: "policer", configuration: configuration, state: PolicerState(configuration.algorithm))
        let frames = (0..<6000).map { Self.udp(dscp: 10, time: Self.second + UInt64($0) * 166_667) }
        let (out, dropped) = try Self.run([stage], frames)
        let yellow = out.filter { $0.bytes[15] >> 2 == 12 }
        #expect(abs(Double(out.count - yellow.count) / 1953 - 1) < 0.05, "green ≈ 1 Mbit/s of 512-bit frames: \(out.count - yellow.count)")
        #expect(abs(Double(yellow.count) / 1953 - 1) < 0.05, "yellow ≈ the next 1 Mbit/s: \(yellow.count)")
        #expect(dropped == UInt64(6000 - out.count))
        for frame in yellow.prefix(3) {
            frame.bytes.withUnsafeBytes { buffer in
                #expect(InternetChecksum.checksum(UnsafeMutableRawPointer(mutating: buffer.baseAddress! + 14), byteCount: 20) == 0)
            }
        }
    }

    @Test func aColourAwarePolicerKeepsARedPacketRed() throws {
        let configuration = PolicerConfiguration(
            name: "aware", marker: .singleRate, unit: .packets, committedRate: 1000, committedBurst: 100, secondBurst: 100,
            colourAware: true)
        let stage = PolicerStage(name: "policer", configuration: configuration, state: PolicerState(configuration.algorithm))
        // Well under the rate: blind, all would be green; AF13 (red) and AF12 (yellow) stay so.
        let frames = [
            Self.udp(dscp: 14, time: Self.second), Self.udp(dscp: 12, time: Self.second + 1_000_000),
            Self.udp(dscp: 10, time: Self.second + 2_000_000),
        ]
        let (out, dropped) = try Self.run([stage], frames)
        #expect(dropped == 1 && out.count == 2)
        #expect(stage.state.counted(.yellow).packets == 1 && stage.state.counted(.green).packets == 1)
    }
}
