import CLinux
import Foundation
import NFVCatalog
import NFVDescriptors
import NFVPacket
import NFVPipeline

/// The memory a chain's data plane reserves: its packet pools, each stage's tables, the flow
/// cache and the hand-off rings, for every worker, measured by building them (the heap bytes
/// they hold, as glibc counts them), plus what the process holds before it builds anything
/// (the Swift runtime, libraries, the loaded descriptors).
///
/// Reserved is the worst case: buffers and tables cost only the pages traffic touches, but
/// full tables and a pool of 64 KiB super-frames touch them all, and a cgroup's memory limit
/// is met by the kernel's OOM killer. So a chain starts only when its reservation fits.
///
/// Measure in a process that runs nothing else yet: glibc counts other threads' arenas apart.
public struct ChainFootprint: Sendable {
    /// One part of the reservation: a name and its bytes over all workers.
    public struct Part: Sendable {
        public var name: String
        public var bytes: UInt64
        /// How the bytes come about, for the operator ("2 workers x 2048 slots of 64 KiB").
        public var detail: String
    }

    public var parts: [Part]
    /// The process's resident memory before building (runtime, libraries, descriptors).
    public var runtimeBytes: UInt64
    /// The chain's name, for messages.
    public var chain: String
    /// Whether the packet buffers are 64 KiB super-frame slots (a TAP port takes offloads).
    public var superFrameBuffers: Bool

    /// Everything: the parts and the runtime.
    public var totalBytes: UInt64 { parts.reduce(runtimeBytes) { $0 + $1.bytes } }

    /// Measures `loaded` by building what its workers would: pools, stages, chain and rings.
    public static func measure(_ loaded: LoadedChain) throws(LiveChainError) -> ChainFootprint {
        let workers = try LiveChain.queueCount(loaded)
        let runtime = residentBytes()
        var parts: [Part] = []
        var keep: [AnyObject] = []
        func add(_ name: String, _ bytes: UInt64, _ detail: String) {
            if let index = parts.firstIndex(where: { $0.name == name }) {
                parts[index].bytes += bytes
            } else {
                parts.append(Part(name: name, bytes: bytes, detail: detail))
            }
        }
        let slotBytes = LiveChain.poolSlotByteCount(loaded)
        let slotKind = slotBytes == PacketPool.superFrameSlotByteCount ? "64 KiB (TAPs take offloads)" : "10 KiB"
        for index in 0..<workers {
            var before = nfv_heap_bytes_in_use()
            let pool = PacketPool(slotCount: LiveChain.poolSlotCount, slotByteCount: slotBytes)
            keep.append(pool)
            add("packet pool", nfv_heap_bytes_in_use() &- before, "\(workers) worker(s) x \(LiveChain.poolSlotCount) buffers of \(slotKind)")
            var context = StageContext(chain: loaded)
            context.worker = WorkerShare(index: index, count: workers)
            var stageBytes: UInt64 = 0
            for stage in loaded.descriptor.stages {
                before = nfv_heap_bytes_in_use()
                let built = ChainAssembly.makeStage(stage, chain: loaded, context: context)
                keep.append(built as AnyObject)
                let bytes = nfv_heap_bytes_in_use() &- before
                stageBytes += bytes
                add("stage \(stage.name) (\(stage.vnf))", bytes, "its tables, over all workers")
            }
            // The whole chain builds the stages again, with the parse stage, the flow cache and
            // any path classifier: those are the difference.
            before = nfv_heap_bytes_in_use()
            let chain = ChainAssembly.makeChain(loaded, pool: pool, worker: WorkerShare(index: index, count: workers))
            keep.append(chain)
            let chainBytes = nfv_heap_bytes_in_use() &- before
            add(
                "flow cache and classifier", chainBytes > stageBytes ? chainBytes - stageBytes : 0,
                "the established-flow cache (spec.flowCache) and any path classifier, over all workers")
        }
        if workers > 1 {
            let before = nfv_heap_bytes_in_use()
            for _ in 0..<(workers * (workers - 1)) {
                keep.append(HandoffRing(capacity: LiveChain.handoffRingCapacity, slotByteCount: LiveChain.frameByteCount(loaded)))
            }
            add(
                "hand-off rings", nfv_heap_bytes_in_use() &- before,
                "\(workers * (workers - 1)) rings of \(LiveChain.handoffRingCapacity) frames between workers")
        }
        withExtendedLifetime(keep) {}
        return ChainFootprint(
            parts: parts, runtimeBytes: runtime, chain: loaded.descriptor.name,
            superFrameBuffers: slotBytes == PacketPool.superFrameSlotByteCount)
    }

    /// The process's resident set (VmRSS), in bytes.
    static func residentBytes() -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (UInt64(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// The table an operator reads: each part, the runtime and the total.
    public var report: String {
        var lines = ["chain \(chain): memory reserved (worst case: every buffer and table full)"]
        for part in parts.sorted(by: { $0.bytes > $1.bytes }) {
            lines.append("  \(Self.size(part.bytes).padding(toLength: 9, withPad: " ", startingAt: 0)) \(part.name): \(part.detail)")
        }
        lines.append("  \(Self.size(runtimeBytes).padding(toLength: 9, withPad: " ", startingAt: 0)) runtime (resident before building)")
        lines.append("  \(Self.size(totalBytes).padding(toLength: 9, withPad: " ", startingAt: 0)) total")
        return lines.joined(separator: "\n")
    }

    /// Nil when the reservation fits `limit`; else the refusal, with the parts and the fixes.
    public func refusal(limit: UInt64, location: SourceLocation) -> String? {
        guard totalBytes > limit else { return nil }
        let largest = parts.sorted { $0.bytes > $1.bytes }.prefix(3).filter { $0.bytes >= 1024 }.map { "\($0.name) \(Self.size($0.bytes))" }
        // What to ask for: the total rounded up to the next 16 MiB.
        let needed = (totalBytes + (16 << 20) - 1) / (16 << 20) * (16 << 20)
        var fixes = ["raise spec.resources.memory to at least \(ChainResources.describe(bytes: needed))"]
        if superFrameBuffers {
            fixes.append("set offloads: false on the TAP ports (10 KiB buffers instead of 64 KiB)")
        }
        fixes.append("run fewer workers or give the stages smaller tables")
        return "\(location): spec.resources.memory: chain \(chain) reserves \(Self.size(totalBytes)) "
            + "(\(largest.joined(separator: ", ")), runtime \(Self.size(runtimeBytes))) "
            + "but its memory limit is \(Self.size(limit)); it would be killed by the kernel when its buffers and tables fill; "
            + fixes.joined(separator: ", or ")
    }

    static func size(_ bytes: UInt64) -> String {
        bytes >= 1 << 20 ? String(format: "%.1f MiB", Double(bytes) / 1_048_576) : String(format: "%.0f KiB", Double(bytes) / 1024)
    }
}
