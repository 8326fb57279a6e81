import NFVPacket
import NFVPipeline

extension LoadBalancerStage: StateSnapshotting {
    /// The live connections and the backend each is pinned to: without them a restored or
    /// migrated balancer would pick again for a flow under way, and a flow whose backend is not
    /// the one Maglev or the round robin picks now would go to another backend mid-connection.
    public func exportState(now: UInt64) -> StageStateRecord {
        var records: [BalancedConnectionRecord] = []
        for slot in 0..<capacity {
            let connection = connections + slot
            guard connection.pointee.used, connection.pointee.expires > now else { continue }
            let serviceIndex = Int(connection.pointee.service)
            let backend = Int(connection.pointee.backend)
            records.append(
                BalancedConnectionRecord(
                    protocolNumber: Int(connection.pointee.ipProtocol), client: IPv4Address(rawValue: connection.pointee.client).description,
                    clientPort: Int(connection.pointee.clientPort), service: configuration.services[serviceIndex].name,
                    backend: backend >= 0 ? services[serviceIndex].backends[backend].name : "fallback", closing: connection.pointee.closing,
                    remainingMilliseconds: Int((connection.pointee.expires - now) / 1_000_000)))
        }
        return StageStateRecord(stage: name, kind: kind, balancedConnections: records)
    }

    /// Pins each recorded flow to its backend again, by service and backend name; a flow whose
    /// service or backend this configuration no longer has is left out (its next packet is
    /// balanced as a new flow, as after a removal).
    public func importState(_ record: StageStateRecord, now: UInt64) throws(StateImportError) -> Int {
        var taken = 0
        for entry in record.balancedConnections ?? [] {
            guard let client = IPv4Address(entry.client), let clientPort = UInt16(exactly: entry.clientPort),
                let ipProtocol = UInt8(exactly: entry.protocolNumber)
            else {
                throw StateImportError("stage \(name): connection \(entry) cannot be read")
            }
            guard let serviceIndex = configuration.services.firstIndex(where: { $0.name == entry.service }) else { continue }
            let service = configuration.services[serviceIndex]
            let backend = services[serviceIndex].backends.firstIndex { $0.name == entry.backend } ?? -1
            guard backend >= 0 || (entry.backend == "fallback" && service.fallback != nil) else { continue }
            let key = Self.clientKey(ipProtocol, client.rawValue, clientPort, service.vip.rawValue, service.port)
            guard byClient.find(key.0, key.1) == nil else { continue }
            let slot = install(
                client: client.rawValue, clientPort: clientPort, destination: service.vip.rawValue, destinationPort: service.port,
                ipProtocol: ipProtocol, serviceIndex: serviceIndex, backend: backend, key: key, now: now)
            guard slot >= 0 else {
                throw StateImportError("stage \(name): the connection table (capacity \(capacity)) is full after \(taken) connections")
            }
            connections[slot].closing = entry.closing
            connections[slot].expires = now &+ UInt64(max(entry.remainingMilliseconds, 0)) &* 1_000_000
            taken += 1
        }
        return taken
    }
}
