/// One port of an OFPMP_PORT_STATS reply (`ofp_port_stats`).
public struct OpenFlowPortStats: Sendable, Equatable {
    public var portNumber: UInt32
    public var receivedPackets: UInt64 = 0
    public var transmittedPackets: UInt64 = 0
    public var receivedBytes: UInt64 = 0
    public var transmittedBytes: UInt64 = 0
    public var receiveDropped: UInt64 = 0
    public var transmitDropped: UInt64 = 0
    public var receiveErrors: UInt64 = 0
    public var transmitErrors: UInt64 = 0
    public var frameErrors: UInt64 = 0
    public var overrunErrors: UInt64 = 0
    public var crcErrors: UInt64 = 0
    public var collisions: UInt64 = 0
    public var durationSeconds: UInt32 = 0
    public var durationNanoseconds: UInt32 = 0

    public init(portNumber: UInt32) { self.portNumber = portNumber }

    /// The twelve counters in wire order (received and transmitted packets, bytes, drops,
    /// errors; frame, overrun and CRC errors; collisions).
    public var counters: [UInt64] {
        get {
            [
                receivedPackets, transmittedPackets, receivedBytes, transmittedBytes, receiveDropped, transmitDropped, receiveErrors,
                transmitErrors, frameErrors, overrunErrors, crcErrors, collisions,
            ]
        }
        set {
            (receivedPackets, transmittedPackets, receivedBytes, transmittedBytes) = (newValue[0], newValue[1], newValue[2], newValue[3])
            (receiveDropped, transmitDropped, receiveErrors, transmitErrors) = (newValue[4], newValue[5], newValue[6], newValue[7])
            (frameErrors, overrunErrors, crcErrors, collisions) = (newValue[8], newValue[9], newValue[10], newValue[11])
        }
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowPortStats {
        try reader.need(112)
        var stats = OpenFlowPortStats(portNumber: reader.u32())
        try reader.skip(4)
        stats.counters = (0..<12).map { _ in reader.u64() }
        stats.durationSeconds = reader.u32()
        stats.durationNanoseconds = reader.u32()
        return stats
    }

    func encode(_ writer: inout WireWriter) {
        writer.u32(portNumber)
        writer.zeros(4)
        for counter in counters { writer.u64(counter) }
        writer.u32(durationSeconds)
        writer.u32(durationNanoseconds)
    }
}

/// One table of an OFPMP_TABLE reply (`ofp_table_stats`).
public struct OpenFlowTableStats: Sendable, Equatable {
    public var tableID: UInt8
    public var activeCount: UInt32
    public var lookupCount: UInt64
    public var matchedCount: UInt64

    public init(tableID: UInt8, activeCount: UInt32, lookupCount: UInt64, matchedCount: UInt64) {
        self.tableID = tableID
        self.activeCount = activeCount
        self.lookupCount = lookupCount
        self.matchedCount = matchedCount
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowTableStats {
        try reader.need(24)
        let table = reader.u8()
        try reader.skip(3)
        return OpenFlowTableStats(tableID: table, activeCount: reader.u32(), lookupCount: reader.u64(), matchedCount: reader.u64())
    }

    func encode(_ writer: inout WireWriter) {
        writer.u8(tableID)
        writer.zeros(3)
        writer.u32(activeCount)
        writer.u64(lookupCount)
        writer.u64(matchedCount)
    }
}
