import NFVPacket

/// Something that keeps a copy of the packets of a batch without taking them (a trace into a
/// pcap file). The batch is unchanged afterwards.
public protocol PacketRecorder: AnyObject {
    /// Records every packet of `batch`.
    func record(_ batch: PacketBatch) throws(PortError)
}
