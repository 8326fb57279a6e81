import NFVPacket
import NFVPipeline

extension NATStage: MappingListing {
    /// The mappings this worker holds that have not expired at `now`.
    public func natMappings(now: UInt64, worker: Int) -> [NATMappingView] {
        var views: [NATMappingView] = []
        for mapping in liveMappings(now: now) {
            let remotes = Self.remoteTexts(mapping)
            views.append(
                NATMappingView(
                    stage: name, worker: worker, proto: IPProtocol.name(mapping.ipProtocol),
                    protocolNumber: Int(mapping.ipProtocol), inside: IPv4Address(rawValue: mapping.insideAddress).description,
                    insidePort: Int(mapping.insidePort), outside: IPv4Address(rawValue: mapping.outsideAddress).description,
                    outsidePort: Int(mapping.outsidePort), timeout: Int((mapping.expires - now) / 1_000_000_000),
                    established: mapping.established, repliedTo: mapping.seenInbound, remotes: remotes))
        }
        return views
    }

    /// The mappings in use that have not expired at `now`. Slots are handed out lowest first
    /// (`freeSlots`), so the walk ends once it has seen every slot in use, not at the capacity
    /// (262,144 by default): what keeps a migration's pause short.
    func liveMappings(now: UInt64) -> [Mapping] {
        let capacity = max(configuration.maximumMappings, 1)
        var inUse = capacity - freeSlots.count
        var live: [Mapping] = []
        var slot = 0
        while inUse > 0, slot < capacity {
            let mapping = mappings + slot
            if mapping.pointee.used {
                inUse -= 1
                if mapping.pointee.expires > now { live.append(mapping.pointee) }
            }
            slot += 1
        }
        return live
    }

    /// The remote addresses a mapping remembers (address-dependent filtering), as text.
    static func remoteTexts(_ mapping: Mapping) -> [String] {
        [mapping.remotes.0, mapping.remotes.1, mapping.remotes.2, mapping.remotes.3]
            .prefix(Int(mapping.remoteCount)).map { IPv4Address(rawValue: $0).description }
    }
}
