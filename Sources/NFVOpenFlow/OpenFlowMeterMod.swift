/// A band of a meter (`ofp_meter_band_*`): what happens to packets above `rate`.
public struct OpenFlowMeterBand: Sendable, Equatable {
    /// OFPMBT_DROP 1, DSCP_REMARK 2, EXPERIMENTER 0xffff.
    public var type: UInt16
    /// kbit/s or packets/s, as the meter's flags say.
    public var rate: UInt32
    /// kilobits or packets, when the meter has OFPMF_BURST.
    public var burstSize: UInt32
    /// DSCP_REMARK: how many drop-precedence levels to add; EXPERIMENTER: the low byte of
    /// nothing (see `experimenter`).
    public var precedenceLevel: UInt8
    /// EXPERIMENTER: the experimenter id.
    public var experimenter: UInt32

    public init(type: UInt16, rate: UInt32, burstSize: UInt32, precedenceLevel: UInt8 = 0, experimenter: UInt32 = 0) {
        self.type = type
        self.rate = rate
        self.burstSize = burstSize
        self.precedenceLevel = precedenceLevel
        self.experimenter = experimenter
    }

    static func decodeList(_ reader: inout WireReader) throws(WireReader.Short) -> [OpenFlowMeterBand] {
        var bands: [OpenFlowMeterBand] = []
        while reader.remaining > 0 {
            try reader.need(16)
            let type = reader.u16()
            let length = Int(reader.u16())
            guard length >= 16 else { throw WireReader.Short() }
            let rate = reader.u32()
            let burst = reader.u32()
            var tail = try reader.take(length - 12)
            switch type {
            case 2: bands.append(OpenFlowMeterBand(type: type, rate: rate, burstSize: burst, precedenceLevel: tail.u8()))
            case 0xFFFF: bands.append(OpenFlowMeterBand(type: type, rate: rate, burstSize: burst, experimenter: tail.u32()))
            default: bands.append(OpenFlowMeterBand(type: type, rate: rate, burstSize: burst))
            }
        }
        return bands
    }

    func encode(_ writer: inout WireWriter) {
        writer.u16(type)
        writer.u16(16)
        writer.u32(rate)
        writer.u32(burstSize)
        switch type {
        case 2:
            writer.u8(precedenceLevel)
            writer.zeros(3)
        case 0xFFFF: writer.u32(experimenter)
        default: writer.zeros(4)
        }
    }
}

/// OFPT_METER_MOD's body, and one entry of a METER_CONFIG reply (`meterConfig`).
public struct OpenFlowMeterMod: Sendable, Equatable {
    /// OFPMC_ADD 0, MODIFY 1, DELETE 2 (unused in a config reply).
    public var command: UInt16
    /// OFPMF_KBPS 1, PKTPS 2, BURST 4, STATS 8.
    public var flags: UInt16
    public var meterID: UInt32
    public var bands: [OpenFlowMeterBand]

    /// OFPM_SLOWPATH: the meter of packets the datapath sends to its own slow path.
    public static let slowPath: UInt32 = 0xFFFF_FFFD
    /// OFPM_CONTROLLER: the meter of packets sent to the controller.
    public static let controller: UInt32 = 0xFFFF_FFFE
    /// OFPM_ALL: every meter.
    public static let all: UInt32 = 0xFFFF_FFFF
    /// OFPM_MAX: the last ordinary meter number.
    public static let max: UInt32 = 0xFFFF_0000

    public init(command: UInt16 = 0, flags: UInt16, meterID: UInt32, bands: [OpenFlowMeterBand]) {
        self.command = command
        self.flags = flags
        self.meterID = meterID
        self.bands = bands
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowMeterMod {
        try reader.need(8)
        let command = reader.u16()
        let flags = reader.u16()
        let meter = reader.u32()
        return OpenFlowMeterMod(command: command, flags: flags, meterID: meter, bands: try OpenFlowMeterBand.decodeList(&reader))
    }

    func encode(_ writer: inout WireWriter) {
        writer.u16(command)
        writer.u16(flags)
        writer.u32(meterID)
        for band in bands { band.encode(&writer) }
    }
}
