import NFVPacket
import NFVPipeline

extension SwitchStage: StateSnapshotting {
    /// The learnt stations: without them a restored or migrated switch floods every frame to
    /// a known station until it hears from it again.
    public func exportState(now: UInt64) -> StageStateRecord {
        let stations = macs.liveEntries(now: now).compactMap { entry -> StationRecord? in
            guard let port = ports.first(where: { $0.number == entry.port }) else { return nil }
            return StationRecord(
                mac: MACAddress(rawValue: entry.mac).description, vlan: Int(entry.vlan), port: port.name,
                remainingMilliseconds: Int((entry.expires - now) / 1_000_000))
        }
        return StageStateRecord(stage: name, kind: kind, stations: stations)
    }

    /// Learns each recorded station again behind the port of the same name, for what was left
    /// of its ageing time; a station behind a port the switch no longer has is left out.
    public func importState(_ record: StageStateRecord, now: UInt64) throws(StateImportError) -> Int {
        var taken = 0
        for station in record.stations ?? [] {
            guard let mac = MACAddress(station.mac), let vlan = UInt16(exactly: station.vlan) else {
                throw StateImportError("stage \(name): station \(station.mac) in VLAN \(station.vlan) cannot be read")
            }
            guard let port = ports.first(where: { $0.name == station.port }) else { continue }
            let expires = now &+ UInt64(max(station.remainingMilliseconds, 0)) &* 1_000_000
            guard
                macs.learn(mac.rawValue, vlan: vlan, port: port.number, now: now, expires: expires)
                    || macs.port(of: mac.rawValue, vlan: vlan, now: now) != nil
            else {
                throw StateImportError("stage \(name): the MAC table (capacity \(macs.capacity)) is full after \(taken) stations")
            }
            taken += 1
        }
        return taken
    }
}
