import NFVDescriptors
import NFVIO
import NFVNAT
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

/// A NAT on worker `index` of `count` hands out only ports p with p mod count == index, so a
/// reply's destination port names the worker holding the mapping (the steering relies on it).
@Suite struct NATPortShareTests {
    /// The source ports the NAT gives `flows` SYNs from one inside host, all from port 40000
    /// upwards, on worker `index` of `count`.
    static func translatedPorts(index: Int, count: Int, flows: Int) throws -> [UInt16] {
        let configuration = try NATConfigLoader().load(path: Fixtures.root.appendingPathComponent("vnf-configs/edge-nat.yaml").path)
            .configuration
        let stage = NATStage(
            name: "nat", configuration: configuration, portIndex: ["inside": 0, "outside": 1], portShare: WorkerShare(index: index, count: count))
        let pool = PacketPool(slotCount: 1024)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let frames = (0..<flows).map {
            NATLiveUpdateTests.syn(from: IPv4Address(10, 0, 1, 10), UInt16(40000 + $0), to: IPv4Address(203, 0, 113, 5), 80)
        }
        let inside = MemoryPort(frames: frames, portNumber: 0)
        let outside = MemoryPort(portNumber: 1)
        try Pipeline(sources: [inside], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool)).runUntilExhausted()
        return outside.transmitted.map { frame in
            frame.bytes.withUnsafeBytes { UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 34, as: UInt16.self)) }
        }
    }

    @Test func eachWorkerHandsOutOnlyItsOwnPorts() throws {
        for count in [2, 3] {
            for index in 0..<count {
                let ports = try Self.translatedPorts(index: index, count: count, flows: 200)
                #expect(ports.count == 200, "every flow translated")
                #expect(ports.allSatisfy { Int($0) % count == index }, "worker \(index) of \(count): \(ports.prefix(8))")
                #expect(Set(ports).count == 200, "no port twice")
            }
        }
        // One worker keeps the inside port whenever it is free (port preservation).
        #expect(try Self.translatedPorts(index: 0, count: 1, flows: 50) == (0..<50).map { UInt16(40000 + $0) })
    }
}
