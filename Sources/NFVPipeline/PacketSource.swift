import NFVPacket

/// The receive side of a port: something that puts packets into batches.
public protocol PacketSource: AnyObject {
    /// Appends at most `limit` received packets to `batch` (never beyond its capacity) and
    /// returns how many it appended. Returns 0 when nothing is available right now.
    func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int
    /// True once the source will never deliver another packet (end of a capture file).
    var isExhausted: Bool { get }
    /// Receive counters of this port.
    var counters: PortCounters { get }
}
