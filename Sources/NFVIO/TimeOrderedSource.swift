import NFVPacket
import NFVPipeline

/// Several capture files read as one stream in timestamp order, as if their frames arrived on
/// the chain's ports at the times recorded. Equal timestamps keep port order. A batch never
/// mixes ports (the chain runs a batch in one direction), so a batch ends where the port of
/// the next frame changes.
///
/// Streaming: each file has one frame staged ahead, copied into a buffer allocated once.
public final class TimeOrderedSource: PacketSource {
    /// The files, one per port; each stamps its own `portNumber` on its frames.
    public let sources: [PcapFileSource]
    public let counters = PortCounters()
    private var staged: [UnsafeMutableRawPointer]
    private var stagedLength: [Int]
    private var stagedTimestamp: [UInt64]
    private var hasStaged: [Bool]
    private var primed = false
    private let stageByteCount = 262_144

    /// Merges `sources` by timestamp.
    public init(sources: [PcapFileSource]) {
        self.sources = sources
        staged = sources.map { _ in UnsafeMutableRawPointer.allocate(byteCount: 262_144, alignment: 64) }
        stagedLength = Array(repeating: 0, count: sources.count)
        stagedTimestamp = Array(repeating: 0, count: sources.count)
        hasStaged = Array(repeating: false, count: sources.count)
    }

    deinit { for buffer in staged { buffer.deallocate() } }

    public var isExhausted: Bool { primed && !hasStaged.contains(true) }

    private func stage(_ index: Int) throws(PortError) {
        guard let frame = try sources[index].readFrame() else {
            hasStaged[index] = false
            return
        }
        let length = min(frame.bytes.count, stageByteCount)
        if length > 0, let base = frame.bytes.baseAddress { staged[index].copyMemory(from: base, byteCount: length) }
        stagedLength[index] = length
        stagedTimestamp[index] = frame.timestamp
        hasStaged[index] = true
    }

    public func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        if !primed {
            for index in sources.indices { try stage(index) }
            primed = true
        }
        var appended = 0
        var batchPort: UInt16?
        while appended < limit && !batch.isFull {
            var next: Int?
            for index in sources.indices where hasStaged[index] {
                if next == nil || stagedTimestamp[index] < stagedTimestamp[next!] { next = index }
            }
            guard let chosen = next else { break }
            let port = sources[chosen].portNumber
            if let batchPort, batchPort != port { break }
            batchPort = port
            let frame = UnsafeRawBufferPointer(start: staged[chosen], count: stagedLength[chosen])
            counters.receivedPackets &+= 1
            counters.receivedBytes &+= UInt64(frame.count)
            switch sources[chosen].append(frame, timestamp: stagedTimestamp[chosen], to: batch) {
            case .appended: appended += 1
            case .frameTooLarge: counters.drops.increment(.frameTooLarge)
            case .poolExhausted: counters.drops.increment(.poolExhausted)
            case .batchFull: preconditionFailure("checked isFull before appending")
            }
            try stage(chosen)
        }
        return appended
    }
}
