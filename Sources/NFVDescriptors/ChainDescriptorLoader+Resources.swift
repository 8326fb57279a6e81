import Yams

extension ChainDescriptorLoader {
    /// `spec.resources: { cpus: 1.5, memory: 256Mi, cpuSet: [1] }`, checked: a CPU share from
    /// 0.01 to 1024, a memory quantity of at least 16Mi, CPU numbers listed once each.
    func readResources(_ node: Node, decoder: DescriptorDecoder) -> ChainResources? {
        let field = "spec.resources"
        guard let fields = decoder.mapping(node, field: field, allowed: ["cpus", "memory", "cpuSet"]) else { return nil }
        let errorsBefore = decoder.errors.count
        var resources = ChainResources(location: decoder.location(of: node))
        if let cpusNode = fields["cpus"] {
            if case .scalar = cpusNode, let value = cpusNode.float, value.isFinite {
                if (0.01...1024).contains(value) {
                    resources.cpus = value
                } else {
                    decoder.report(
                        cpusNode, field: "\(field).cpus", "\(cpusNode.string ?? "") CPUs is out of range",
                        fix: "use a share from 0.01 (a hundredth of one CPU) to 1024; 0.5 is half of one CPU")
                }
            } else {
                decoder.report(
                    cpusNode, field: "\(field).cpus", "expected a number of CPUs, found \(decoder.kindName(cpusNode))",
                    fix: "write a share of CPU time such as 0.5 or 1.5")
            }
        }
        if let memoryNode = fields["memory"], let text = decoder.string(memoryNode, field: "\(field).memory") {
            if let bytes = ChainResources.byteCount(text) {
                if bytes >= 16 << 20 {
                    resources.memoryBytes = bytes
                } else {
                    decoder.report(
                        memoryNode, field: "\(field).memory", "\(text) is too little for a data plane",
                        fix: "give at least 16Mi (the runtime alone takes about that); nfv-dataplane says how much a chain needs")
                }
            } else {
                decoder.report(
                    memoryNode, field: "\(field).memory", "\"\(text)\" is not a memory size",
                    fix: "write bytes with a suffix: 256Mi, 1Gi (binary) or 300M (decimal)")
            }
        }
        if let setNode = fields["cpuSet"], let items = decoder.sequence(setNode, field: "\(field).cpuSet") {
            var cpus: [Int] = []
            for (index, item) in items.enumerated() {
                guard let cpu = decoder.integer(item, field: "\(field).cpuSet[\(index)]", range: 0...4095) else { continue }
                if cpus.contains(cpu) {
                    decoder.report(item, field: "\(field).cpuSet[\(index)]", "CPU \(cpu) is listed twice", fix: "list each CPU once")
                    continue
                }
                cpus.append(cpu)
            }
            if items.isEmpty {
                decoder.report(setNode, field: "\(field).cpuSet", "the list is empty", fix: "name at least one CPU, or remove cpuSet")
            }
            resources.cpuSet = cpus
        }
        return decoder.errors.count == errorsBefore ? resources : nil
    }
}
