import NFVPacket
import Yams

extension ChainDescriptorLoader {
    /// `spec.hosts`, `spec.overlay` and the stages' `placement:`, checked: hosts named once with
    /// an underlay address each (one IP version), every stage placed on one of them, each host
    /// holding one contiguous run of stages, and a chain of two ports with no paths or `qos:`
    /// (what a host's half can express). Nil without `spec.hosts` (then no stage may be placed).
    func readPlacement(
        _ spec: Node.Mapping, name: String, ports: [PortDescriptor], stages: [StageDescriptor], decoder: DescriptorDecoder
    ) -> ChainPlacement? {
        guard let hostsNode = spec["hosts"] else {
            if let placed = stages.first(where: { $0.placement != nil }) {
                decoder.report(
                    placed.location, field: "spec.stages[\(stages.firstIndex(of: placed) ?? 0)].placement",
                    "stage \(placed.name) is placed on \(placed.placement ?? "") but the chain has no spec.hosts",
                    fix: "add spec.hosts: [{ name: \(placed.placement ?? "a"), address: UNDERLAY-ADDRESS }, ...], or remove placement")
            }
            if let overlay = spec["overlay"] {
                decoder.report(
                    overlay, field: "spec.overlay", "an overlay joins the hosts of spec.hosts, which the chain has not",
                    fix: "add spec.hosts or remove spec.overlay")
            }
            return nil
        }
        let errorsBefore = decoder.errors.count
        var hosts: [ChainPlacement.Host] = []
        for (index, element) in (decoder.sequence(hostsNode, field: "spec.hosts") ?? []).enumerated() {
            let field = "spec.hosts[\(index)]"
            guard let fields = decoder.mapping(element, field: field, allowed: ["name", "address"], required: ["name", "address"]),
                let hostName = fields["name"].flatMap({ decoder.string($0, field: "\(field).name") }),
                let address = fields["address"].flatMap({ decoder.string($0, field: "\(field).address") })
            else { continue }
            if hosts.contains(where: { $0.name == hostName }) {
                decoder.report(fields["name"]!, field: "\(field).name", "host \"\(hostName)\" is listed twice", fix: "give each host its own name")
                continue
            }
            guard IPv4Address(address) != nil || IPv6Address(address) != nil else {
                decoder.report(
                    fields["address"]!, field: "\(field).address", "\"\(address)\" is not an IP address",
                    fix: "write the host's underlay address, where the tunnels end (192.0.2.1)")
                continue
            }
            if let first = hosts.first, (IPv4Address(first.address) != nil) != (IPv4Address(address) != nil) {
                decoder.report(
                    fields["address"]!, field: "\(field).address", "\(address) and \(first.address) are of different IP versions",
                    fix: "give every host an address of one version")
            }
            hosts.append(.init(name: hostName, address: address, location: decoder.location(of: element)))
        }
        if hosts.count < 2 {
            decoder.report(hostsNode, field: "spec.hosts", "a chain across hosts names at least two", fix: "list every host a stage is placed on")
        }
        var vni = ChainPlacement.defaultVNI(chain: name)
        var port: UInt16 = 4789
        if let overlayNode = spec["overlay"], let fields = decoder.mapping(overlayNode, field: "spec.overlay", allowed: ["vni", "dstPort"]) {
            if let value = fields["vni"].flatMap({ decoder.integer($0, field: "spec.overlay.vni", range: 1...16_000_000) }) { vni = UInt32(value) }
            if let value = fields["dstPort"].flatMap({ decoder.integer($0, field: "spec.overlay.dstPort", range: 1...65_535) }) {
                port = UInt16(value)
            }
        }
        let names = hosts.map(\.name)
        var finished: Set<String> = []
        for (index, stage) in stages.enumerated() {
            let field = "spec.stages[\(index)].placement"
            guard let host = stage.placement else {
                decoder.report(
                    stage.location, field: field, "stage \(stage.name) has no placement; a chain with spec.hosts places every stage",
                    fix:
                        "add placement: \(index > 0 ? stages[index - 1].placement ?? names.first ?? "a" : names.first ?? "a") (one of \(names.joined(separator: ", ")))"
                )
                continue
            }
            guard names.contains(host) else {
                decoder.report(
                    stage.location, field: field, "host \"\(host)\" is not in spec.hosts",
                    fix: Suggestion.closest(to: host, in: names).map { "did you mean \"\($0)\"?" } ?? "use one of \(names.joined(separator: ", "))")
                continue
            }
            if index > 0, let previous = stages[index - 1].placement, previous != host {
                finished.insert(previous)
                if finished.contains(host) {
                    decoder.report(
                        stage.location, field: field,
                        "stage \(stage.name) goes back to host \(host) after stages on \(previous); each host runs one contiguous run of the stages",
                        fix: "move stage \(stage.name) next to host \(host)'s other stages, or place it on \(previous)")
                }
            }
        }
        if ports.count != 2, let first = ports.first {
            decoder.report(
                first.location, field: "spec.ports",
                "a chain across hosts has two ports (where traffic enters on the first host and leaves on the last), not \(ports.count)",
                fix: "keep the first and the last port; a switch between more ports runs on one host")
        }
        for key in ["paths", "qos"] {
            if let node = spec[key] {
                decoder.report(
                    node, field: "spec.\(key)", "a chain across hosts cannot have spec.\(key) yet",
                    fix: "place the chain on one host, or remove spec.\(key)")
            }
        }
        guard decoder.errors.count == errorsBefore else { return nil }
        return ChainPlacement(hosts: hosts, vni: vni, destinationPort: port)
    }
}
