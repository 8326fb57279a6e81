import Foundation
import NFVQoS
import Yams

extension ChainDescriptorLoader {
    /// A `qos:` mapping (`spec.qos` or `spec.paths[N].qos`): `forward` and/or `reverse`, each a
    /// PolicerConfig file relative to the chain file (or the frozen copy the orchestrator passes
    /// for the stage it becomes).
    func readQoS(_ node: Node, field: String, path: String?, decoder: DescriptorDecoder, directory: String) -> QoSDescriptor? {
        guard let fields = decoder.mapping(node, field: field, allowed: ["forward", "reverse"]) else { return nil }
        if fields["forward"] == nil && fields["reverse"] == nil {
            decoder.report(
                node, field: field, "a qos section needs a policer for at least one direction",
                fix: "add \"forward: POLICER.yaml\" (traffic entering on the first port) or \"reverse:\"")
            return nil
        }
        var qos = QoSDescriptor(location: decoder.location(of: node))
        for direction in ["forward", "reverse"] {
            guard let value = fields[direction] else { continue }
            let file = configFile(
                stage: QoSDescriptor.stageName(path: path, direction: direction), node: value, field: "\(field).\(direction)",
                what: "policer configuration", fix: "name a kind: PolicerConfig file; paths are relative to the chain file's folder",
                decoder: decoder, directory: directory)
            if direction == "forward" { qos.forward = file } else { qos.reverse = file }
        }
        return qos
    }

    /// Adds the policer stages of the chain's and the paths' `qos:` sections: a forward stage
    /// first among the stages (forward traffic meets it before any other), a reverse one last
    /// (reverse traffic meets it first), each policing what enters on its port. A path takes its
    /// own and the chain's; a user stage may not take one of their names.
    func addQoSStages(
        chainQoS: QoSDescriptor?, stages: inout [StageDescriptor], paths: inout [ChainDescriptor.PathDescriptor],
        ports: [PortDescriptor], decoder: DescriptorDecoder
    ) {
        var first: [StageDescriptor] = []
        var last: [StageDescriptor] = []
        func stage(_ file: String?, path: String?, direction: String, port: String?, field: String, location: SourceLocation)
            -> StageDescriptor?
        {
            guard let file, let port else { return nil }
            return StageDescriptor(
                name: QoSDescriptor.stageName(path: path, direction: direction), vnf: "policer", config: file, location: location,
                ingressPort: port, declaredBy: field)
        }
        var chainFirst: StageDescriptor?
        var chainLast: StageDescriptor?
        if let qos = chainQoS {
            if qos.reverse != nil && ports.count < 2 {
                decoder.report(
                    qos.location, field: "spec.qos.reverse", "the chain has one port: there is no reverse direction",
                    fix: "remove \"reverse:\"")
            }
            chainFirst = stage(
                qos.forward, path: nil, direction: "forward", port: ports.first?.name, field: "spec.qos.forward", location: qos.location)
            chainLast = stage(
                qos.reverse, path: nil, direction: "reverse", port: ports.count > 1 ? ports[1].name : nil, field: "spec.qos.reverse",
                location: qos.location)
        }
        for index in paths.indices {
            var before = chainFirst.map { [$0.name] } ?? []
            var after: [String] = []
            if let qos = paths[index].qos {
                let field = "spec.paths[\(index)].qos"
                if qos.reverse != nil && !paths[index].symmetric {
                    decoder.report(
                        qos.location, field: "\(field).reverse", "path \(paths[index].name) is not symmetric: nothing takes it in reverse",
                        fix: "remove \"reverse:\", or make the path symmetric")
                }
                let path = paths[index]
                if let forward = stage(
                    qos.forward, path: path.name, direction: "forward", port: path.from, field: "\(field).forward", location: qos.location)
                {
                    first.append(forward)
                    before.append(forward.name)
                }
                if let reverse = stage(
                    qos.reverse, path: path.name, direction: "reverse", port: path.to, field: "\(field).reverse", location: qos.location)
                {
                    last.insert(reverse, at: 0)
                    after.append(reverse.name)
                }
            }
            paths[index].through = before + paths[index].through + after + (chainLast.map { [$0.name] } ?? [])
        }
        let added = (chainFirst.map { [$0] } ?? []) + first + last + (chainLast.map { [$0] } ?? [])
        for generated in added {
            if let clash = stages.first(where: { $0.name == generated.name }) {
                decoder.report(
                    clash.location, field: "spec.stages", "stage name \"\(clash.name)\" is taken by the stage \(generated.declaredBy ?? "qos") adds",
                    fix: "rename the stage")
            }
        }
        stages = (chainFirst.map { [$0] } ?? []) + first + stages + last + (chainLast.map { [$0] } ?? [])
    }
}

extension ChainDescriptorLoader {
    /// A TAP port's `shaper: { rate: 50M, burst: 62500, queue: 256 }`: a rate in bits per second
    /// (k, M, G), a burst in bytes (default 10 ms at the rate), a queue in packets (1 to 512).
    func readShaper(_ node: Node, field: String, decoder: DescriptorDecoder) -> ShaperConfiguration? {
        guard let fields = decoder.mapping(node, field: field, allowed: ["rate", "burst", "queue"], required: ["rate"]) else { return nil }
        guard let rateNode = fields["rate"], let text = decoder.string(rateNode, field: "\(field).rate") else { return nil }
        guard let rate = PolicerConfigLoader.rate(text, unit: .bits), rate >= 8_000 else {
            decoder.report(
                rateNode, field: "\(field).rate", "\"\(text)\" is not a rate of at least 8k",
                fix: "write bits per second with k, M or G: 50M is 50 Mbit/s")
            return nil
        }
        var shaper = ShaperConfiguration(rate: rate, burst: ShaperConfiguration.defaultBurst(rate: rate))
        if let burstNode = fields["burst"], let burst = decoder.integer(burstNode, field: "\(field).burst", range: 1518...1_000_000_000) {
            shaper.burst = UInt64(burst)
        }
        if let queueNode = fields["queue"],
            let queue = decoder.integer(queueNode, field: "\(field).queue", range: 1...ShaperConfiguration.maximumQueueLimit)
        {
            shaper.queueLimit = queue
        }
        return shaper
    }
}
