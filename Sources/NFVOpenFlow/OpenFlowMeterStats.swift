/// One meter of an OFPMP_METER reply (`ofp_meter_stats`): its counters and each band's.
public struct OpenFlowMeterStats: Sendable, Equatable {
    public var meterID: UInt32
    /// Flows that point at the meter.
    public var flowCount: UInt32
    public var packetInCount: UInt64
    public var byteInCount: UInt64
    public var durationSeconds: UInt32
    public var durationNanoseconds: UInt32
    /// (packets, bytes) over each band's rate, in band order.
    public var bands: [OpenFlowCounter]

    public init(
        meterID: UInt32, flowCount: UInt32, packetInCount: UInt64, byteInCount: UInt64, durationSeconds: UInt32,
        durationNanoseconds: UInt32, bands: [OpenFlowCounter]
    ) {
        self.meterID = meterID
        self.flowCount = flowCount
        self.packetInCount = packetInCount
        self.byteInCount = byteInCount
        self.durationSeconds = durationSeconds
        self.durationNanoseconds = durationNanoseconds
        self.bands = bands
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowMeterStats {
        try reader.need(40)
        let meter = reader.u32()
        let length = Int(reader.u16())
        guard length >= 40 else { throw WireReader.Short() }
        var entry = try reader.take(length - 6)
        try entry.skip(6)
        let flows = entry.u32()
        let packets = entry.u64()
        let bytes = entry.u64()
        let seconds = entry.u32()
        let nanoseconds = entry.u32()
        return OpenFlowMeterStats(
            meterID: meter, flowCount: flows, packetInCount: packets, byteInCount: bytes, durationSeconds: seconds,
            durationNanoseconds: nanoseconds, bands: try OpenFlowCounter.decodeList(&entry))
    }

    func encode(_ writer: inout WireWriter) {
        writer.u32(meterID)
        writer.u16(UInt16(40 + 16 * bands.count))
        writer.zeros(6)
        writer.u32(flowCount)
        writer.u64(packetInCount)
        writer.u64(byteInCount)
        writer.u32(durationSeconds)
        writer.u32(durationNanoseconds)
        for band in bands { band.encode(&writer) }
    }
}

/// OFPMP_METER_FEATURES's reply.
public struct OpenFlowMeterFeatures: Sendable, Equatable {
    public var maxMeters: UInt32
    /// Bit n: band type n supported (1 << OFPMBT_DROP | 1 << OFPMBT_DSCP_REMARK).
    public var bandTypes: UInt32
    /// OFPMF_* the switch supports.
    public var capabilities: UInt32
    public var maxBands: UInt8
    public var maxColor: UInt8

    public init(maxMeters: UInt32, bandTypes: UInt32, capabilities: UInt32, maxBands: UInt8, maxColor: UInt8) {
        self.maxMeters = maxMeters
        self.bandTypes = bandTypes
        self.capabilities = capabilities
        self.maxBands = maxBands
        self.maxColor = maxColor
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowMeterFeatures {
        try reader.need(16)
        let features = OpenFlowMeterFeatures(
            maxMeters: reader.u32(), bandTypes: reader.u32(), capabilities: reader.u32(), maxBands: reader.u8(), maxColor: reader.u8())
        try reader.skip(2)
        return features
    }

    func encode(_ writer: inout WireWriter) {
        writer.u32(maxMeters)
        writer.u32(bandTypes)
        writer.u32(capabilities)
        writer.u8(maxBands)
        writer.u8(maxColor)
        writer.zeros(2)
    }
}
