import NFVPacket
import NFVPipeline

extension NATStage: StateSnapshotting {
    /// The live mappings.
    public func exportState(now: UInt64) -> StageStateRecord {
        var records: [NATMappingRecord] = []
        for mapping in liveMappings(now: now) {
            records.append(
                NATMappingRecord(
                    protocolNumber: Int(mapping.ipProtocol), inside: IPv4Address(rawValue: mapping.insideAddress).description,
                    insidePort: Int(mapping.insidePort), outside: IPv4Address(rawValue: mapping.outsideAddress).description,
                    outsidePort: Int(mapping.outsidePort), remainingMilliseconds: Int((mapping.expires - now) / 1_000_000),
                    established: mapping.established, repliedTo: mapping.seenInbound, remotes: Self.remoteTexts(mapping)))
        }
        return StageStateRecord(stage: name, kind: kind, natMappings: records)
    }

    /// Makes each recorded mapping again with the same outside address and port (the remote
    /// end sees the connection from where it saw it before), its state and what was left of
    /// its timeout. A mapping whose outside address is not in the pool any more, or whose port
    /// is taken, cannot be restored.
    public func importState(_ record: StageStateRecord, now: UInt64) throws(StateImportError) -> Int {
        var taken = 0
        for entry in record.natMappings ?? [] {
            guard let inside = IPv4Address(entry.inside), let outside = IPv4Address(entry.outside),
                let insidePort = UInt16(exactly: entry.insidePort), let outsidePort = UInt16(exactly: entry.outsidePort),
                let number = UInt8(exactly: entry.protocolNumber)
            else {
                throw StateImportError("stage \(name): mapping \(entry) cannot be read")
            }
            guard let poolIndex = pool.firstIndex(of: outside.rawValue) else {
                throw StateImportError("stage \(name): mapping to \(entry.outside) is outside the NAT's pool")
            }
            guard byInside.find(Self.key(number, inside.rawValue, insidePort), 0) == nil else { continue }
            guard let slot = freeSlots.popLast() else {
                throw StateImportError("stage \(name): no room for more than \(taken) mappings")
            }
            guard
                ports.allocate(
                    pool: poolIndex, protocolIndex: Self.protocolIndex(number), preferred: outsidePort,
                    range: PortRange(outsidePort, outsidePort)) != nil
            else {
                freeSlots.append(slot)
                throw StateImportError("stage \(name): outside port \(entry.outside):\(outsidePort) is taken")
            }
            let index = Int(slot)
            install(
                at: index, inside: inside.rawValue, insidePort: insidePort, poolIndex: poolIndex, outsidePort: outsidePort,
                ipProtocol: number, now: now)
            mappings[index].expires = now &+ UInt64(max(entry.remainingMilliseconds, 0)) &* 1_000_000
            mappings[index].established = entry.established
            mappings[index].seenInbound = entry.repliedTo
            for remote in entry.remotes.compactMap(IPv4Address.init) { remember(remote: remote.rawValue, in: mappings + index) }
            taken += 1
        }
        return taken
    }
}
