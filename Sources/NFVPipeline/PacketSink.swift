import NFVPacket

/// The transmit side of a port: it takes every packet of a batch, sends or stores it, returns
/// the buffers to the pool and leaves the batch empty.
public protocol PacketSink: AnyObject {
    /// Sends every packet of `batch` and empties it.
    func transmit(_ batch: PacketBatch) throws(PortError)
    /// Transmit counters of this port.
    var counters: PortCounters { get }
}
