import NFVPacket
import NFVPipeline

extension NATStage: MappingListing {
    /// The mappings this worker holds that have not expired at `now`.
    public func natMappings(now: UInt64, worker: Int) -> [NATMappingView] {
        var views: [NATMappingView] = []
        for index in 0..<max(configuration.maximumMappings, 1) {
            let mapping = mappings[index]
            guard mapping.used, mapping.expires > now else { continue }
            let remotes = [mapping.remotes.0, mapping.remotes.1, mapping.remotes.2, mapping.remotes.3]
                .prefix(Int(mapping.remoteCount)).map { IPv4Address(rawValue: $0).description }
            views.append(
                NATMappingView(
                    stage: name, worker: worker, proto: IPProtocol.name(mapping.ipProtocol),
                    protocolNumber: Int(mapping.ipProtocol), inside: IPv4Address(rawValue: mapping.insideAddress).description,
                    insidePort: Int(mapping.insidePort), outside: IPv4Address(rawValue: mapping.outsideAddress).description,
                    outsidePort: Int(mapping.outsidePort), timeout: Int((mapping.expires - now) / 1_000_000_000),
                    established: mapping.established, repliedTo: mapping.seenInbound, remotes: Array(remotes)))
        }
        return views
    }
}
