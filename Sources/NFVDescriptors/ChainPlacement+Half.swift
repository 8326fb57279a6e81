import Yams

extension ChainPlacement {
    /// The chain file host `host` runs (its half), made from the chain file's text `source`:
    /// the same document without `spec.hosts`, `spec.overlay` and `placement:`, with only the
    /// host's stages (their configurations as absolute paths), and the chain's first or last
    /// port replaced by a `vxlan` port toward the host before or after it. Every other field
    /// (workers, resources, restart, the ports' settings) stays as written.
    public func half(of chain: ChainDescriptor, source: String, host: String) throws(DescriptorErrorList) -> String {
        let segments = segments(of: chain.stages)
        let location = SourceLocation(file: chain.file, line: 1, column: 1)
        guard let index = segments.firstIndex(where: { $0.host.name == host }) else {
            let known = hosts.map(\.name)
            let message =
                known.contains(host)
                ? "host \(host) runs none of chain \(chain.name)'s stages" : "chain \(chain.name) has no host \"\(host)\""
            throw DescriptorErrorList([
                DescriptorError(
                    location: location, field: "spec.hosts", message: message,
                    fix: "deploy on one of the hosts that run stages: " + segments.map(\.host.name).joined(separator: ", "))
            ])
        }
        guard var root = (try? Yams.compose(yaml: source)) ?? nil, var document = root.mapping,
            var spec = document["spec"]?.mapping, let portNodes = spec["ports"]?.sequence, let stageNodes = spec["stages"]?.sequence
        else {
            throw DescriptorErrorList([DescriptorError(location: location, field: "", message: "the chain file could not be read again")])
        }
        spec["hosts"] = nil
        spec["overlay"] = nil
        let names = Set(segments[index].stages.map(\.name))
        var stages: [Node] = []
        for node in stageNodes {
            guard var fields = node.mapping, let name = fields["name"]?.string, names.contains(name) else { continue }
            fields["placement"] = nil
            if let config = chain.stages.first(where: { $0.name == name })?.config { fields["config"] = Node(config) }
            stages.append(.mapping(fields))
        }
        spec["stages"] = Node(stages)
        var ports = Array(portNodes)
        let local = segments[index].host.address
        if index > 0 {
            ports[0] = tunnel(
                named: chain.ports[0].name, chain: chain, crossing: index - 1, entering: true, remote: segments[index - 1].host.address,
                local: local)
        }
        if index < segments.count - 1 {
            ports[1] = tunnel(
                named: chain.ports[1].name, chain: chain, crossing: index, entering: false, remote: segments[index + 1].host.address,
                local: local)
        }
        spec["ports"] = Node(ports)
        document["spec"] = .mapping(spec)
        root = .mapping(document)
        let header =
            "# host \(host)'s half of chain \(chain.name) (\(chain.file)), made by nfv-orch: stages "
            + segments[index].stages.map(\.name).joined(separator: ", ") + "\n"
        do { return header + (try Yams.serialize(node: root)) } catch {
            throw DescriptorErrorList([DescriptorError(location: location, field: "", message: "the half could not be written: \(error)")])
        }
    }

    /// The `vxlan` port of crossing `crossing`, named `name`, at the MTU of the chain's ports
    /// (the underlay must carry 50 bytes more).
    func tunnel(named name: String, chain: ChainDescriptor, crossing: Int, entering: Bool, remote: String, local: String) -> Node {
        let mtu = chain.ports.compactMap { $0.tap?.mtu }.max() ?? 1500
        let fields: [(String, String)] = [
            ("name", name), ("type", "vxlan"), ("ifname", Self.tunnelInterface(chain: chain.name, crossing: crossing, entering: entering)),
            ("vni", "\(vni + UInt32(crossing))"), ("remote", remote), ("local", local), ("dstPort", "\(destinationPort)"), ("mtu", "\(mtu)"),
        ]
        return Node(fields.map { (Node($0.0), Node($0.1)) }, .implicit, .flow)
    }
}
