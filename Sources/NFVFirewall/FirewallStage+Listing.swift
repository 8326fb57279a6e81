import NFVFlow
import NFVPacket
import NFVPipeline

extension FirewallStage: ConnectionListing {
    /// The connections this worker's table tracks and that have not expired at `now`, in
    /// their original direction, with the rule that let them in.
    public func trackedConnections(now: UInt64, worker: Int) -> [TrackedConnectionView] {
        guard let tracker else { return [] }
        let entries = tracker.entries
        var views: [TrackedConnectionView] = []
        for slot in 0..<tracker.slotCount where entries[slot].isOccupied && entries[slot].expires > now {
            let entry = entries[slot]
            let tuple = Self.originalTuple(entry)
            views.append(
                TrackedConnectionView(
                    stage: name, worker: worker, proto: IPProtocol.name(UInt8(tuple.protocolNumber)), protocolNumber: tuple.protocolNumber,
                    state: entry.state.description, timeout: Int((entry.expires - now) / 1_000_000_000),
                    assured: entry.state.isAssured, source: tuple.source, destination: tuple.destination,
                    sourcePort: tuple.sourcePort, destinationPort: tuple.destinationPort, vlan: tuple.vlan,
                    rule: ruleName(Int(entry.ruleNumber))))
        }
        return views
    }

    /// A tracked connection's endpoints in its original direction (who opened it, to whom).
    static func originalTuple(_ entry: ConnectionEntry) -> (
        source: String, destination: String, sourcePort: Int, destinationPort: Int, protocolNumber: Int, vlan: Int
    ) {
        let low = text(IPv6Address(high: entry.lowAddressHigh, low: entry.lowAddressLow))
        let high = text(IPv6Address(high: entry.highAddressHigh, low: entry.highAddressLow))
        let lowPort = Int((entry.portsProtocolVLAN >> 48) & 0xFFFF)
        let highPort = Int((entry.portsProtocolVLAN >> 32) & 0xFFFF)
        let fromLow = entry.flags & ConnectionEntry.Flag.originIsLow != 0
        return (
            fromLow ? low : high, fromLow ? high : low, fromLow ? lowPort : highPort, fromLow ? highPort : lowPort,
            Int((entry.portsProtocolVLAN >> 16) & 0xFF), Int(entry.portsProtocolVLAN & 0xFFFF)
        )
    }

    /// The name of counter slot `slot` (a rule's index, then the default action's, then
    /// related traffic's; a slot past them counts connections of rules since removed).
    func ruleName(_ slot: Int) -> String {
        let rules = configuration.rules
        if slot < rules.count { return rules[slot].name }
        if slot == rules.count { return "default" }
        if slot == rules.count + 1 { return "related" }
        return "(removed rule)"
    }

    static func text(_ address: IPv6Address) -> String { address.eitherFamilyDescription }
}
