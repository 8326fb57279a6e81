import NFVOpenFlow
import NFVSwitch

/// Applies METER_MODs to a switch's meters, as OpenFlow 1.3.5 section 7.3.4.4 says: ADD a new
/// meter (OFPMMFC_METER_EXISTS if the id is taken), MODIFY one that exists
/// (OFPMMFC_UNKNOWN_METER otherwise; its buckets start full again), DELETE one or every meter
/// (OFPM_ALL), taking out the flows that use it. Pure: a program in, a program out.
///
/// What the switch takes, and the error for the rest: meter ids 1 to OFPM_MAX and
/// OFPM_CONTROLLER (the packet-ins; OFPMMFC_INVALID_METER otherwise); exactly one of
/// OFPMF_KBPS and OFPMF_PKTPS, with OFPMF_BURST and OFPMF_STATS (OFPMMFC_BAD_FLAGS); bands
/// DROP and DSCP_REMARK (OFPMMFC_BAD_BAND), rate above 0 (OFPMMFC_BAD_RATE), a DSCP_REMARK
/// level of 1 to 3 (OFPMMFC_BAD_BAND_VALUE), at most `bandCapacity` bands
/// (OFPMMFC_OUT_OF_BANDS) and `capacity` meters (OFPMMFC_OUT_OF_METERS).
public struct OpenFlowMeterEditor: Sendable {
    public let capacity: Int
    public let bandCapacity: Int

    /// OFPET_METER_MOD_FAILED.
    public static let meterModFailed: UInt16 = 12
    static func failed(_ code: UInt16) -> OpenFlowError { OpenFlowError(type: meterModFailed, code: code) }

    public init(capacity: Int = 1024, bandCapacity: Int = 4) {
        self.capacity = capacity
        self.bandCapacity = bandCapacity
    }

    /// Applies `meterMod` to `program`; on an error `program` is left as it was. Returns the
    /// flows a DELETE took out with the meter.
    @discardableResult
    public func apply(_ meterMod: OpenFlowMeterMod, to program: inout SwitchProgram) throws(OpenFlowError) -> [FlowEntry] {
        switch meterMod.command {
        case 0, 1:
            let meter = try entry(meterMod)
            if meterMod.command == 0 {
                guard program.meters[meter.id] == nil else { throw Self.failed(1) }  // METER_EXISTS
                guard program.meters.count < capacity else { throw Self.failed(10) }  // OUT_OF_METERS
            } else {
                guard program.meters[meter.id] != nil else { throw Self.failed(3) }  // UNKNOWN_METER
            }
            program.meters[meter.id] = meter
            return []
        case 2:
            let doomed: Set<UInt32>
            if meterMod.meterID == OpenFlowMeterMod.all {
                doomed = Set(program.meters.keys)
            } else {
                guard Self.isValid(meterMod.meterID) else { throw Self.failed(2) }  // INVALID_METER
                doomed = program.meters[meterMod.meterID] == nil ? [] : [meterMod.meterID]
            }
            guard !doomed.isEmpty else { return [] }
            for id in doomed { program.meters[id] = nil }
            return program.removeFlows { flow in flow.actions.contains { if case .meter(let id) = $0 { doomed.contains(id) } else { false } } }
        default: throw Self.failed(4)  // BAD_COMMAND
        }
    }

    static func isValid(_ id: UInt32) -> Bool { (id >= 1 && id <= OpenFlowMeterMod.max) || id == OpenFlowMeterMod.controller }

    /// The meter a METER_MOD ADD or MODIFY describes, checked.
    func entry(_ meterMod: OpenFlowMeterMod) throws(OpenFlowError) -> MeterEntry {
        guard Self.isValid(meterMod.meterID) else { throw Self.failed(2) }  // INVALID_METER
        let flags = meterMod.flags
        // KBPS 1, PKTPS 2, BURST 4, STATS 8: exactly one unit.
        guard flags & ~0xF == 0, (flags & 1 != 0) != (flags & 2 != 0) else { throw Self.failed(5) }  // BAD_FLAGS
        guard meterMod.bands.count <= bandCapacity else { throw Self.failed(11) }  // OUT_OF_BANDS
        var bands: [MeterEntry.Band] = []
        for band in meterMod.bands {
            guard band.rate > 0 else { throw Self.failed(6) }  // BAD_RATE
            switch band.type {
            case 1: bands.append(MeterEntry.Band(action: .drop, rate: band.rate, burst: band.burstSize))
            case 2:
                guard (1...3).contains(band.precedenceLevel) else { throw Self.failed(9) }  // BAD_BAND_VALUE
                bands.append(MeterEntry.Band(action: .remarkDSCP(precedence: band.precedenceLevel), rate: band.rate, burst: band.burstSize))
            default: throw Self.failed(8)  // BAD_BAND
            }
        }
        return MeterEntry(
            id: meterMod.meterID, unit: flags & 1 != 0 ? .kilobitsPerSecond : .packetsPerSecond, bands: bands, usesBurst: flags & 4 != 0,
            collectsStatistics: flags & 8 != 0)
    }

    /// The meter as METER_CONFIG shows it.
    public static func configuration(_ meter: MeterEntry) -> OpenFlowMeterMod {
        var flags: UInt16 = meter.unit == .kilobitsPerSecond ? 1 : 2
        if meter.usesBurst { flags |= 4 }
        if meter.collectsStatistics { flags |= 8 }
        return OpenFlowMeterMod(
            command: 0, flags: flags, meterID: meter.id,
            bands: meter.bands.map { band in
                switch band.action {
                case .drop: OpenFlowMeterBand(type: 1, rate: band.rate, burstSize: band.burst)
                case .remarkDSCP(let level): OpenFlowMeterBand(type: 2, rate: band.rate, burstSize: band.burst, precedenceLevel: level)
                }
            })
    }
}
