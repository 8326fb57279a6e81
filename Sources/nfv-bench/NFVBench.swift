import ArgumentParser
import CAllocCounter
import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline
import NFVSwitch

#if canImport(Glibc)
    import Glibc
#endif

/// `nfv-bench`: runs a chain in memory over a synthetic or captured workload and reports
/// throughput and allocations.
@main
struct NFVBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nfv-bench",
        abstract: "Measure a chain in memory: Mpps, ns per packet, heap allocations per batch.",
        discussion: """
            The default chain is the trivial four-stage one: parse, ttl (decrement with an \
            RFC 1624 checksum update) and two pass-through stages. The generator copies frame \
            templates into pool buffers (like a port receive) and the sink returns them to the \
            pool; both are included in the timing. Allocations are counted by interposing \
            malloc/calloc/realloc/posix_memalign/aligned_alloc in this executable \
            (Sources/CAllocCounter) and read before and after the measured run. For \
            instructions per packet, run bench/callgrind.sh.
            """,
        version: "nfv-bench " + PlatformVersion.current)

    @Option(help: "Packets in the measured run.")
    var packets: Int = 1_000_000

    @Option(help: "Distinct flows (one frame template each) in the synthetic workload.")
    var flows: Int = 1024

    @Option(help: "Frame size in bytes for the synthetic workload (60 to 1514).")
    var size: Int = 64

    @Option(help: "Packets per batch (1 to 256).")
    var batchSize: Int = 256

    @Option(help: "Use the frames of this capture as the workload, cycled (instead of synthetic UDP flows).")
    var pcap: String?

    @Option(help: "Run this chain descriptor (its stages after the ingress parse) instead of the trivial four-stage chain.")
    var chain: String?

    @Option(
        name: .customLong("switch-flows"),
        help: "Run parse -> a switch stage holding this many wildcard flows (4 mask shapes, plus a catch-all) instead of a chain.")
    var switchFlows: Int?

    @Option(help: "Percentage of the synthetic flows (0 to 100) whose packets arrive with TTL 1 and are dropped.")
    var expiredPercent: Int = 0

    @Option(help: "Spread the synthetic flows over this many destination /24 networks from 100.64.0.0 (0: all to 198.51.100.1).")
    var destinations: Int = 0

    @Flag(help: "Let the parse stage compute the symmetric flow hash of every packet.")
    var flowHash = false

    @Option(
        name: .customLong("flow-cache"),
        help:
            "Established flows the chain's fast path caches (0: none, every packet takes the stages); default: the chain's spec.flowCache, else \(FlowCache.defaultCapacity)."
    )
    var flowCache: Int?

    @Option(help: "Warm-up packets before the measured run (fill caches, fault in memory); the measured run continues the warm-up's flow sequence.")
    var warmup: Int = 10_000

    func validate() throws {
        guard packets > 0 else { throw ValidationError("--packets must be positive") }
        guard flows > 0 else { throw ValidationError("--flows must be positive") }
        guard (0...100).contains(expiredPercent) else { throw ValidationError("--expired-percent must be 0 to 100") }
        guard (60...1514).contains(size) else { throw ValidationError("--size must be 60 to 1514") }
        guard (1...PacketBatch.defaultCapacity).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 256") }
        guard (flowCache ?? 0) >= 0 else { throw ValidationError("--flow-cache must be 0 or more") }
    }

    /// `count` flows in four mask shapes that the workload's traffic mostly misses, and a
    /// catch-all that forwards it: every packet is classified against all of them (on a cache
    /// miss) and then served from the exact-match cache.
    static func wildcardFlows(_ count: Int) -> [FlowEntry] {
        var flows: [FlowEntry] = []
        for index in 0..<count {
            var match = FlowMatch()
            switch index % 4 {
            case 0:
                match.setEthType(EtherType.ipv4)
                match.setIPDestination(
                    IPPrefix(
                        network: IPv6Address(ipv4Mapped: IPv4Address(rawValue: 0xAC10_0000 | UInt32(index) << 8)),
                        length: 96 + 24, isIPv4: true))
            case 1:
                match.setEthType(EtherType.ipv4)
                match.setIPProtocol(IPProtocol.tcp)
                match.setIPSource(
                    IPPrefix(
                        network: IPv6Address(ipv4Mapped: IPv4Address(rawValue: 0xC0A8_0000 | UInt32(index & 0xFF) << 8)),
                        length: 96 + 24, isIPv4: true))
                match.setTransportDestination(UInt16(truncatingIfNeeded: index))
            case 2:
                match.setInPort(UInt16(truncatingIfNeeded: index % 200 + 10))
                match.setEthDst(0x0600_0000_0000 | UInt64(index))
            default:
                match.setEthType(EtherType.ipv4)
                match.setIPProtocol(IPProtocol.udp)
                match.setTransportSource(UInt16(truncatingIfNeeded: 61_000 + index % 4000))
            }
            flows.append(FlowEntry(priority: UInt16(100 + index % 100), match: match, actions: [.output(2)]))
        }
        flows.append(FlowEntry(priority: 0, actions: [.output(1)]))
        return flows
    }

    func run() throws {
        let counterWorks = Self.allocationCounterWorks()
        let templates: [[UInt8]]
        if let pcap {
            templates = try PcapFileSource.readAll(path: pcap).map(\.bytes)
            guard !templates.isEmpty else { throw ValidationError("\(pcap) holds no frames") }
        } else {
            templates = WorkloadBuilder.udpFlows(
                count: flows, frameByteCount: size, ttl: 64, expiredPercent: expiredPercent,
                destinationNetworks: destinations)
        }
        let pool = PacketPool(slotCount: 4 * PacketBatch.defaultCapacity)
        let stages: [any Stage]
        let chainName: String
        var cacheCapacity = flowCache ?? FlowCache.defaultCapacity
        if let switchFlows {
            stages = [
                ParseStage(name: ChainAssembly.parseStageName, computeFlowHash: flowHash),
                SwitchStage(name: "switch", ports: [], flows: Self.wildcardFlows(switchFlows)),
            ]
            chainName = "parse -> switch with \(switchFlows) wildcard flows + catch-all"
        } else if let chain {
            let loaded = try LoadedChain.load(path: chain)
            let descriptor = loaded.descriptor
            cacheCapacity = flowCache ?? descriptor.flowCache ?? FlowCache.defaultCapacity
            let parsed = ChainAssembly.makeChain(loaded, pool: pool).stages.dropFirst()
            stages = [ParseStage(name: ChainAssembly.parseStageName, computeFlowHash: flowHash)] + parsed
            chainName = descriptor.name
        } else {
            stages = [
                ParseStage(name: "parse", computeFlowHash: flowHash), DecrementTTLStage(name: "ttl"),
                PassThroughStage(name: "pass-a"), PassThroughStage(name: "pass-b"),
            ]
            chainName = "trivial (parse\(flowHash ? " with flow hash" : "") -> ttl -> pass-a -> pass-b)"
        }
        let runner = Chain(stages: stages, pool: pool, ingressStageCount: 1, fastPathCapacity: cacheCapacity)
        let batch = PacketBatch(pool: pool)
        let size = batchSize

        // Warm-up: the same loop, not measured.
        if warmup > 0 {
            let pipeline = Pipeline(
                source: SyntheticSource(templates: templates, totalCount: warmup), chain: runner,
                sink: DiscardSink(), batch: batch)
            try pipeline.runUntilExhausted { size }
            runner.resetCounters()
        }

        // The measured run continues the warm-up's packet sequence (with more flows than
        // warm-up packets, it meets only flows the warm-up never sent: new flows).
        let source = SyntheticSource(templates: templates, totalCount: packets, start: warmup)
        let sink = DiscardSink()
        let pipeline = Pipeline(source: source, chain: runner, sink: sink, batch: batch)
        let allocationsBefore = nfv_allocation_count()
        let start = Self.now()
        let batches = try pipeline.runUntilExhausted { size }
        let elapsed = Self.now() - start
        let allocations = nfv_allocation_count() - allocationsBefore

        let seconds = Double(elapsed) / 1e9
        let rate = Double(packets) / seconds / 1e6
        let nanosecondsPerPacket = Double(elapsed) / Double(packets)
        print(
            "workload: \(packets) packets, "
                + (pcap.map { "frames of \($0) (\(templates.count))" }
                    ?? "\(flows) UDP flows, \(self.size)-byte frames, \(expiredPercent)% with TTL 1") + ", batches of \(size)")
        print("chain: \(chainName)")
        print("time: \(Self.format(seconds, 4)) s, \(Self.format(rate, 2)) Mpps, \(Self.format(nanosecondsPerPacket, 1)) ns/packet")
        if counterWorks {
            print(
                "allocations during measured run: \(allocations) (\(Self.format(Double(allocations) / Double(max(batches, 1)), 3)) per batch over \(batches) batches)"
            )
        } else {
            print("allocations during measured run: not counted (the allocator was replaced, e.g. by valgrind)")
        }
        for (stage, counters) in zip(runner.stages, runner.counters) {
            let drops = counters.drops.nonZero.map { "\($0.reason)=\($0.count)" }.joined(separator: " ")
            print("  \(stage.name): rx=\(counters.received) tx=\(counters.transmitted)" + (drops.isEmpty ? "" : " \(drops)"))
            if let switchStage = stage as? SwitchStage {
                print("  \(stage.name): exact-match cache hits \(switchStage.cacheHits), classifier lookups \(switchStage.classifierLookups)")
            }
        }
        if let fastPath = runner.fastPath {
            let counters = fastPath.counters
            print(
                "  fast path: hits \(counters.hits), misses \(counters.misses), learned \(counters.learned), "
                    + "invalidated \(counters.invalidated), full \(counters.full), flushes \(counters.flushes), "
                    + "cached \(fastPath.cache.count)")
        }
        print("out: \(sink.counters.transmittedPackets) packets")
    }

    /// Whether the interposed counter sees allocations, so that a zero means zero. It does not
    /// when another allocator replaced ours (valgrind's memcheck does).
    static func allocationCounterWorks() -> Bool {
        let before = nfv_allocation_count()
        let probe = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        probe.deallocate()
        let array = [Int](repeating: 7, count: 1000 + Int(before % 3))
        return nfv_allocation_count() >= before + 2 && array.count > 0
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func format(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: scale))
        guard digits > 0 else { return "\(whole)" }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }
}
