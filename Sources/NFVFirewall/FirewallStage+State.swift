import NFVFlow
import NFVPacket
import NFVPipeline

extension FirewallStage: StateSnapshotting {
    /// The tracked connections (a stateless firewall has none).
    public func exportState(now: UInt64) -> StageStateRecord {
        var records: [ConnectionRecord] = []
        if let tracker {
            let entries = tracker.entries
            for slot in 0..<tracker.slotCount where entries[slot].isOccupied && entries[slot].expires > now {
                let entry = entries[slot]
                let tuple = Self.originalTuple(entry)
                records.append(
                    ConnectionRecord(
                        protocolNumber: tuple.protocolNumber, source: tuple.source, destination: tuple.destination,
                        sourcePort: tuple.sourcePort, destinationPort: tuple.destinationPort, vlan: tuple.vlan,
                        state: entry.state.description, finFromOrigin: entry.flags & ConnectionEntry.Flag.finFromOrigin != 0,
                        rule: ruleName(Int(entry.ruleNumber)), remainingMilliseconds: Int((entry.expires - now) / 1_000_000)))
            }
        }
        return StageStateRecord(stage: name, kind: kind, connections: records)
    }

    /// Tracks each recorded connection again, in its state, with what was left of its timeout
    /// and the rule of the same name (a rule since removed counts as removed).
    public func importState(_ record: StageStateRecord, now: UInt64) throws(StateImportError) -> Int {
        guard let tracker else { return 0 }
        var taken = 0
        for connection in record.connections ?? [] {
            guard let source = Self.address(connection.source), let destination = Self.address(connection.destination),
                let state = ConnectionState.allCases.first(where: { $0.description == connection.state }),
                let sourcePort = UInt16(exactly: connection.sourcePort), let destinationPort = UInt16(exactly: connection.destinationPort),
                let number = UInt8(exactly: connection.protocolNumber), let vlan = UInt16(exactly: connection.vlan)
            else {
                throw StateImportError("stage \(name): connection \(connection) cannot be read")
            }
            let key = TrackingKey(
                FlowKey(
                    source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort,
                    ipProtocol: number, vlanID: vlan))
            guard tracker.find(key, now: now) < 0 else { continue }
            let slot = tracker.insert(key, state: state, now: now)
            guard slot >= 0 else {
                throw StateImportError(
                    "stage \(name): the connection table (capacity \(tracker.capacity)) is full after \(taken) connections")
            }
            tracker.entries[slot].expires = now &+ UInt64(max(connection.remainingMilliseconds, 0)) &* 1_000_000
            tracker.entries[slot].ruleNumber = UInt16(truncatingIfNeeded: ruleSlot(named: connection.rule))
            if connection.finFromOrigin { tracker.entries[slot].flags |= ConnectionEntry.Flag.finFromOrigin }
            taken += 1
        }
        return taken
    }

    /// The counter slot of the rule called `name` (`default`, `related`; else the removed slot).
    func ruleSlot(named name: String) -> Int {
        let rules = configuration.rules
        if let index = rules.firstIndex(where: { $0.name == name }) { return index }
        if name == "default" { return rules.count }
        if name == "related" { return rules.count + 1 }
        return counters.retiredSlot
    }

    static func address(_ text: String) -> IPv6Address? {
        IPv6Address(eitherFamily: text)
    }
}
