extension PacketMetadata {
    /// The bytes and packets this frame puts on the wire: a GSO super-frame stands for its
    /// segments, each with a copy of its headers (as Linux's qdisc_pkt_len counts a GSO packet);
    /// a plain frame is itself. What meters and policers count.
    @inlinable
    public func wireSize(_ frame: UnsafeMutableRawPointer) -> (bytes: Int, packets: Int) {
        let segmentSize = Int(offload.segmentSize)
        guard segmentSize > 0, flags.contains(.hasL4) else { return (Int(length), 1) }
        let l4 = Int(l4Offset)
        let headers = ipProtocol == IPProtocol.tcp ? l4 + Int(frame.loadByte(at: l4 + 12) >> 4) * 4 : l4 + 8
        let payload = Int(length) - headers
        guard payload > segmentSize else { return (Int(length), 1) }
        let segments = (payload + segmentSize - 1) / segmentSize
        return (Int(length) + (segments - 1) * headers, segments)
    }
}
