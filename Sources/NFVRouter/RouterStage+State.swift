import NFVPacket
import NFVPipeline

extension RouterStage: StateSnapshotting {
    /// The resolved neighbours learnt at run time (static ones are configuration): without
    /// them a restored or migrated router holds its first packets to each next hop while it
    /// asks again, and drops what does not fit the queue.
    public func exportState(now: UInt64) -> StageStateRecord {
        var records: [NeighborRecord] = []
        for slot in 0..<neighbors.slotCount {
            let entry = neighbors[slot]
            guard entry.inUse, entry.reachableUntil > now, entry.reachableUntil != .max else { continue }
            records.append(
                NeighborRecord(
                    address: entry.address.eitherFamilyDescription, mac: MACAddress(rawValue: entry.mac).description,
                    interface: interfaces[Int(entry.interface)].name, remainingMilliseconds: Int((entry.reachableUntil - now) / 1_000_000)))
        }
        return StageStateRecord(stage: name, kind: kind, neighbors: records)
    }

    /// Learns each recorded neighbour again on the interface of the same name, for what was
    /// left of its time.
    public func importState(_ record: StageStateRecord, now: UInt64) throws(StateImportError) -> Int {
        var taken = 0
        for neighbor in record.neighbors ?? [] {
            guard let address = IPv6Address(eitherFamily: neighbor.address), let mac = MACAddress(neighbor.mac),
                let interface = interfaces.firstIndex(where: { $0.name == neighbor.interface })
            else {
                throw StateImportError("stage \(name): neighbour \(neighbor.address) at \(neighbor.mac) on \(neighbor.interface) cannot be taken")
            }
            let slot = neighbors.findOrCreate(address, interface: interface, now: now)
            guard slot >= 0 else {
                throw StateImportError("stage \(name): the neighbour table (capacity \(neighbors.capacity)) is full after \(taken) neighbours")
            }
            var entry = neighbors[slot]
            guard entry.reachableUntil != .max else { continue }  // configured: kept as configured
            entry.mac = mac.rawValue
            entry.wireMAC = mac.wireValue
            entry.reachableUntil = now &+ UInt64(max(neighbor.remainingMilliseconds, 0)) &* 1_000_000
            entry.interface = UInt16(interface)
            entry.solicitations = 0
            neighbors[slot] = entry
            taken += 1
        }
        neighborEpoch &+= 1
        return taken
    }
}
