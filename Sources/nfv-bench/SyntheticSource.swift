import NFVIO
import NFVPacket
import NFVPipeline

/// A traffic generator port: delivers `totalCount` packets by copying frame templates (one
/// per flow, round robin) into pool buffers, as a NIC or a TAP read would fill them. Packet `n`
/// is template `(start + n) % templates.count` with timestamp `start + n` (nanoseconds), so a
/// measured run can continue where a warm-up stopped.
final class SyntheticSource: PacketSource {
    let templates: [[UInt8]]
    let totalCount: Int
    let start: Int
    let counters = PortCounters()
    private(set) var deliveredCount = 0
    private let templateStorage: UnsafeMutableRawPointer
    private let templateLengths: [Int]
    private let templateStride: Int

    init(templates: [[UInt8]], totalCount: Int, start: Int = 0) {
        precondition(!templates.isEmpty, "a workload needs at least one frame")
        self.templates = templates
        self.totalCount = totalCount
        self.start = start
        // Templates live in one contiguous block so the copy loop touches no Swift arrays.
        templateStride = (templates.map(\.count).max()! + 63) / 64 * 64
        templateStorage = .allocate(byteCount: templateStride * templates.count, alignment: 64)
        templateLengths = templates.map(\.count)
        for (index, template) in templates.enumerated() {
            template.withUnsafeBytes { (templateStorage + index * templateStride).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    deinit { templateStorage.deallocate() }

    var isExhausted: Bool { deliveredCount >= totalCount }

    func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        let pool = batch.pool
        let wanted = min(limit, batch.capacity - batch.count, totalCount - deliveredCount)
        let headroom = pool.headroom
        var appended = 0
        var bytes: UInt64 = 0
        templateLengths.withUnsafeBufferPointer { lengths in
            let flowCount = lengths.count
            var flow = (start &+ deliveredCount) % flowCount
            while appended < wanted {
                guard let id = pool.allocate() else { break }
                let length = lengths[flow]
                (pool.slot(id) + headroom).copyMemory(from: templateStorage + flow &* templateStride, byteCount: length)
                let entry = PacketMetadata(
                    id: id, dataOffset: UInt16(truncatingIfNeeded: headroom),
                    length: UInt16(truncatingIfNeeded: length), inPort: 0,
                    timestamp: UInt64(start &+ deliveredCount &+ appended))
                _ = batch.append(entry)
                bytes &+= UInt64(length)
                appended &+= 1
                flow &+= 1
                if flow == flowCount { flow = 0 }
            }
        }
        deliveredCount &+= appended
        counters.receivedPackets &+= UInt64(appended)
        counters.receivedBytes &+= bytes
        return appended
    }
}
