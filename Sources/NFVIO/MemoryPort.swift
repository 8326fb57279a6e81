import NFVPacket
import NFVPipeline

/// A port over memory, for tests and benchmarks: it delivers a list of frames and keeps the
/// frames transmitted to it.
public final class MemoryPort: PacketSource, PacketSink {
    /// One frame with its timestamp (nanoseconds since the epoch).
    public struct Frame: Equatable, Sendable {
        /// The frame, from the Ethernet destination address on.
        public var bytes: [UInt8]
        /// Nanoseconds since the Unix epoch.
        public var timestamp: UInt64
        /// A frame with its timestamp.
        public init(bytes: [UInt8], timestamp: UInt64 = 0) {
            self.bytes = bytes
            self.timestamp = timestamp
        }
    }

    /// The chain port number stamped on received packets.
    public let portNumber: UInt16
    public let counters = PortCounters()
    /// Frames still to deliver.
    public private(set) var pending: [Frame]
    private var nextIndex = 0
    /// Frames transmitted to this port, in order.
    public private(set) var transmitted: [Frame] = []

    /// A port that will deliver `frames` in order.
    public init(frames: [Frame] = [], portNumber: UInt16 = 0) {
        self.pending = frames
        self.portNumber = portNumber
    }

    public var isExhausted: Bool { nextIndex >= pending.count }

    public func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        var appended = 0
        while appended < limit, !batch.isFull, nextIndex < pending.count {
            let frame = pending[nextIndex]
            nextIndex += 1
            counters.receivedPackets &+= 1
            counters.receivedBytes &+= UInt64(frame.bytes.count)
            let result = frame.bytes.withUnsafeBytes {
                batch.appendCopy(of: $0, inPort: portNumber, timestamp: frame.timestamp)
            }
            switch result {
            case .appended: appended += 1
            case .frameTooLarge: counters.drops.increment(.frameTooLarge)
            case .poolExhausted: counters.drops.increment(.poolExhausted)
            case .batchFull: preconditionFailure("checked isFull before appending")
            }
        }
        return appended
    }

    public func transmit(_ batch: PacketBatch) throws(PortError) {
        for index in 0..<batch.count {
            transmitted.append(Frame(bytes: Array(batch.bytes(index)), timestamp: batch.metadata[index].timestamp))
            counters.transmittedPackets &+= 1
            counters.transmittedBytes &+= UInt64(batch.metadata[index].length)
        }
        batch.releaseAll()
    }
}
