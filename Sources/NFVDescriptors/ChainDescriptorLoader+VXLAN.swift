import NFVPacket
import Yams

extension ChainDescriptorLoader {
    static let vxlanKeys = ["vni", "remote", "local", "dstPort"]

    /// A `vxlan` port's tunnel: a VNI, the two underlay addresses (one family), the UDP port.
    func readVXLAN(_ fields: MappingFields, element: Node, field: String, decoder: DescriptorDecoder) -> PortDescriptor.VXLANSettings? {
        let errorsBefore = decoder.errors.count
        for key in ["vni", "remote", "local"] where fields[key] == nil {
            let example = ["vni": "42", "remote": "192.0.2.2 (the other host's address)", "local": "192.0.2.1 (this host's address)"][key]!
            decoder.report(element, field: "\(field).\(key)", "a VXLAN port needs \"\(key)\"", fix: "add \"\(key): \(example)\"")
        }
        let vni = fields["vni"].flatMap { decoder.integer($0, field: "\(field).vni", range: 1...16_777_215) }
        func address(_ key: String) -> String? {
            guard let node = fields[key], let text = decoder.string(node, field: "\(field).\(key)") else { return nil }
            guard IPv4Address(text) != nil || IPv6Address(text) != nil else {
                decoder.report(node, field: "\(field).\(key)", "\"\(text)\" is not an IP address", fix: "write the underlay address, as 192.0.2.1")
                return nil
            }
            return text
        }
        let remote = address("remote")
        let local = address("local")
        if let remote, let local, (IPv4Address(remote) != nil) != (IPv4Address(local) != nil), let node = fields["remote"] {
            decoder.report(
                node, field: "\(field).remote", "remote \(remote) and local \(local) are of different IP versions",
                fix: "use two IPv4 or two IPv6 addresses")
        }
        let port = fields["dstPort"].flatMap { decoder.integer($0, field: "\(field).dstPort", range: 1...65_535) } ?? 4789
        guard decoder.errors.count == errorsBefore, let vni, let remote, let local else { return nil }
        return PortDescriptor.VXLANSettings(vni: UInt32(vni), remote: remote, local: local, destinationPort: UInt16(port))
    }
}
