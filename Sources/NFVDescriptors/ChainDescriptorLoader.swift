import Foundation
import NFVPacket
import NFVSwitch
import Yams

/// Reads and validates `kind: Chain` descriptors. Validation is complete before anything is
/// built: every error of a file is reported at once, each with `file:line:column`, the field
/// path and what would fix it.
public struct ChainDescriptorLoader: Sendable {
    /// The VNF kinds a stage may name.
    public var knownVNFKinds: [String]
    /// Names a stage may not take (trace points and implicit stages of the runtime).
    public var reservedStageNames: [String: String]
    /// Stage name -> configuration file used instead of the stage's `config:` (which is then
    /// not looked up): the orchestrator runs a deployed chain from its frozen copies.
    public var configOverrides: [String: String] = [:]

    /// - Parameters:
    ///   - knownVNFKinds: the kinds `vnf:` may name.
    ///   - reservedStageNames: names stages may not use, each with the reason.
    public init(knownVNFKinds: [String], reservedStageNames: [String: String] = [:]) {
        self.knownVNFKinds = knownVNFKinds
        self.reservedStageNames = reservedStageNames
    }

    /// Loads the chain in `path`.
    public func load(path: String) throws(DescriptorErrorList) -> ChainDescriptor {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read as UTF-8 text" : "does not exist"
            throw DescriptorErrorList([
                DescriptorError(
                    location: SourceLocation(file: path, line: 1, column: 1), field: "",
                    message: "the file \(reason)")
            ])
        }
        return try parse(text, file: path)
    }

    /// Parses a chain from `text`; `file` names it in errors and anchors relative paths.
    public func parse(_ text: String, file: String) throws(DescriptorErrorList) -> ChainDescriptor {
        let decoder = DescriptorDecoder(file: file)
        let directory = (file as NSString).deletingLastPathComponent
        guard let root = decoder.compose(text),
            let top = decoder.mapping(
                root, field: "", allowed: ["apiVersion", "kind", "metadata", "spec"],
                required: ["apiVersion", "kind", "metadata", "spec"])
        else { throw DescriptorErrorList(decoder.errors) }

        if let node = top["apiVersion"], let version = decoder.string(node, field: "apiVersion"),
            version != ChainDescriptor.apiVersion
        {
            decoder.report(
                node, field: "apiVersion", "unsupported API version \"\(version)\"",
                fix: "use \"\(ChainDescriptor.apiVersion)\"")
        }
        if let node = top["kind"], let kind = decoder.string(node, field: "kind"), kind != "Chain" {
            let fix =
                Suggestion.closest(to: kind, in: ["Chain"]) != nil
                ? "did you mean \"Chain\"?"
                : "this loader reads \"kind: Chain\" documents"
            decoder.report(node, field: "kind", "expected kind \"Chain\", found \"\(kind)\"", fix: fix)
        }
        var name = ""
        if let node = top["metadata"],
            let metadata = decoder.mapping(node, field: "metadata", allowed: ["name", "labels"], required: ["name"]),
            let nameNode = metadata["name"], let value = decoder.string(nameNode, field: "metadata.name")
        {
            if isDNSLabel(value) {
                name = value
            } else {
                decoder.report(
                    nameNode, field: "metadata.name", "\"\(value)\" is not a valid chain name",
                    fix: "use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit")
            }
        }
        var ports: [PortDescriptor] = []
        var stages: [StageDescriptor] = []
        var workers: Int?
        var flowCache: Int?
        var restart = ChainDescriptor.RestartPolicy()
        var resources: ChainResources?
        if let node = top["spec"],
            let spec = decoder.mapping(
                node, field: "spec",
                allowed: ["ports", "stages", "workers", "flowCache", "restart", "paths", "unmatched", "resources", "qos", "hosts", "overlay"],
                required: ["ports"])
        {
            if let workersNode = spec["workers"] {
                workers = decoder.integer(workersNode, field: "spec.workers", range: 1...16)
            }
            if let cacheNode = spec["flowCache"] {
                flowCache = decoder.integer(cacheNode, field: "spec.flowCache", range: 0...4_194_304)
            }
            if let restartNode = spec["restart"],
                let fields = decoder.mapping(restartNode, field: "spec.restart", allowed: ["policy", "limit"])
            {
                if let policyNode = fields["policy"],
                    let value = decoder.choice(
                        policyNode, field: "spec.restart.policy",
                        choices: ChainDescriptor.RestartPolicy.Mode.allCases.map(\.rawValue), what: "restart policy"),
                    let mode = ChainDescriptor.RestartPolicy.Mode(rawValue: value)
                {
                    restart.mode = mode
                }
                if let limitNode = fields["limit"], let limit = decoder.integer(limitNode, field: "spec.restart.limit", range: 1...100) {
                    restart.limit = limit
                }
            }
            if let resourcesNode = spec["resources"] {
                resources = readResources(resourcesNode, decoder: decoder)
            }
            if let portsNode = spec["ports"] {
                ports = readPorts(portsNode, decoder: decoder, directory: directory)
            }
            if let stagesNode = spec["stages"] {
                stages = readStages(stagesNode, decoder: decoder, directory: directory)
            }
        }
        var paths: [ChainDescriptor.PathDescriptor] = []
        var unmatched = ChainDescriptor.Unmatched.drop
        var qos: QoSDescriptor?
        if let node = top["spec"], case .mapping(let mapping) = node {
            if let pathsNode = mapping["paths"] {
                paths = readPaths(pathsNode, decoder: decoder, ports: ports, stages: stages, directory: directory)
            }
            if let qosNode = mapping["qos"] {
                qos = readQoS(qosNode, field: "spec.qos", path: nil, decoder: decoder, directory: directory)
            }
            if let unmatchedNode = mapping["unmatched"],
                let value = decoder.choice(
                    unmatchedNode, field: "spec.unmatched", choices: ChainDescriptor.Unmatched.allCases.map(\.rawValue),
                    what: "handling of unmatched traffic")
            {
                unmatched = ChainDescriptor.Unmatched(rawValue: value) ?? .drop
            }
        }
        var placement: ChainPlacement?
        if let node = top["spec"], case .mapping(let mapping) = node {
            placement = readPlacement(mapping, name: name, ports: ports, stages: stages, decoder: decoder)
        }
        if qos != nil || paths.contains(where: { $0.qos != nil }) {
            addQoSStages(chainQoS: qos, stages: &stages, paths: &paths, ports: ports, decoder: decoder)
        }
        guard decoder.errors.isEmpty else { throw DescriptorErrorList(decoder.errors) }
        var chain = ChainDescriptor(name: name, ports: ports, stages: stages, file: file, workers: workers, restart: restart)
        chain.paths = paths
        chain.unmatched = unmatched
        chain.flowCache = flowCache
        chain.resources = resources
        chain.qos = qos
        chain.placement = placement
        return chain
    }

    /// `spec.paths`: each path's ports and stages must exist; its stages run in the chain's
    /// order (one pass over the stages serves every path); it enters on the chain's first port
    /// (the direction the stages run forward); its match must parse.
    func readPaths(
        _ node: Node, decoder: DescriptorDecoder, ports: [PortDescriptor], stages: [StageDescriptor], directory: String
    ) -> [ChainDescriptor.PathDescriptor] {
        guard let elements = decoder.sequence(node, field: "spec.paths") else { return [] }
        let portNames = ports.map(\.name)
        let stageNames = stages.map(\.name)
        var paths: [ChainDescriptor.PathDescriptor] = []
        for (index, element) in elements.enumerated() {
            let field = "spec.paths[\(index)]"
            guard
                let fields = decoder.mapping(
                    element, field: field, allowed: ["name", "from", "to", "match", "through", "symmetric", "priority", "qos"],
                    required: ["name", "from", "to", "through"])
            else { continue }
            let name = fields["name"].flatMap { decoder.string($0, field: "\(field).name") }
            if let name, let nameNode = fields["name"], paths.contains(where: { $0.name == name }) {
                decoder.report(nameNode, field: "\(field).name", "path \"\(name)\" is declared twice", fix: "rename one of them")
            }
            func port(_ key: String) -> String? {
                guard let node = fields[key], let value = decoder.string(node, field: "\(field).\(key)") else { return nil }
                guard portNames.contains(value) else {
                    let fix = Suggestion.closest(to: value, in: portNames).map { "did you mean \"\($0)\"?" } ?? "ports: " + Suggestion.list(portNames)
                    decoder.report(node, field: "\(field).\(key)", "no port \"\(value)\"", fix: fix)
                    return nil
                }
                return value
            }
            let from = port("from")
            let to = port("to")
            if let from, let fromNode = fields["from"], from != portNames.first {
                decoder.report(
                    fromNode, field: "\(field).from",
                    "a path enters on the chain's first port (\(portNames.first ?? "")), "
                        + "the direction its stages run forward", fix: "list \"\(from)\" first among the ports, or use \"to:\" with symmetric")
            }
            if let from, let to, from == to, let toNode = fields["to"] {
                decoder.report(toNode, field: "\(field).to", "a path leaves on another port than it enters", fix: "name the port the path leads to")
            }
            var through: [String] = []
            if let throughNode = fields["through"], let items = decoder.sequence(throughNode, field: "\(field).through") {
                var last = -1
                for (position, item) in items.enumerated() {
                    guard let stage = decoder.string(item, field: "\(field).through[\(position)]") else { continue }
                    guard let order = stageNames.firstIndex(of: stage) else {
                        let fix =
                            Suggestion.closest(to: stage, in: stageNames).map { "did you mean \"\($0)\"?" } ?? "stages: "
                            + Suggestion.list(stageNames)
                        decoder.report(item, field: "\(field).through[\(position)]", "no stage \"\(stage)\"", fix: fix)
                        continue
                    }
                    if order <= last {
                        decoder.report(
                            item, field: "\(field).through[\(position)]", "stage \"\(stage)\" comes before \"\(stageNames[last])\" in spec.stages",
                            fix: "list a path's stages in the chain's order (one pass over the stages serves every path)")
                    }
                    last = max(last, order)
                    through.append(stage)
                }
            }
            var match: String?
            if let matchNode = fields["match"], let text = decoder.string(matchNode, field: "\(field).match") {
                do {
                    _ = try FlowSyntax.parse(text + ",actions=drop")
                    match = text
                } catch {
                    decoder.report(matchNode, field: "\(field).match", error.description)
                }
            }
            var symmetric = true
            if let node = fields["symmetric"] {
                if let value = node.bool, case .scalar = node {
                    symmetric = value
                } else {
                    decoder.report(node, field: "\(field).symmetric", "expected true or false")
                }
            }
            let priority = fields["priority"].flatMap { decoder.integer($0, field: "\(field).priority", range: 1...65_000) } ?? 100
            let qos = fields["qos"].flatMap { readQoS($0, field: "\(field).qos", path: name, decoder: decoder, directory: directory) }
            guard let name, let from, let to else { continue }
            var path = ChainDescriptor.PathDescriptor(
                name: name, from: from, to: to, match: match, through: through, symmetric: symmetric,
                priority: priority, location: decoder.location(of: element))
            path.qos = qos
            paths.append(path)
        }
        if paths.count > 62, let node = elements.last {
            decoder.report(node, field: "spec.paths", "\(paths.count) paths; a chain has at most 62", fix: "merge paths that take the same stages")
        }
        return paths
    }

    func readPorts(_ node: Node, decoder: DescriptorDecoder, directory: String) -> [PortDescriptor] {
        guard let elements = decoder.sequence(node, field: "spec.ports") else { return [] }
        var ports: [PortDescriptor] = []
        var seen: [String: SourceLocation] = [:]
        for (index, element) in elements.enumerated() {
            let field = "spec.ports[\(index)]"
            guard
                let fields = decoder.mapping(
                    element, field: field,
                    allowed: ["name", "type", "path", "rx", "tx"] + Self.tapKeys + Self.vxlanKeys,
                    required: ["name", "type"])
            else { continue }
            let name = fields["name"].flatMap { decoder.string($0, field: "\(field).name") }
            let kindText = fields["type"].flatMap {
                decoder.choice(
                    $0, field: "\(field).type", choices: PortDescriptor.Kind.allCases.map(\.rawValue),
                    what: "port type")
            }
            func path(_ key: String) -> String? {
                fields[key].flatMap { decoder.string($0, field: "\(field).\(key)") }.map { resolve($0, in: directory) }
            }
            guard let name, let kindText, let kind = PortDescriptor.Kind(rawValue: kindText) else { continue }
            let location = decoder.location(of: element)
            if let first = seen[name] {
                decoder.report(
                    fields["name"]!, field: "\(field).name", "port \"\(name)\" is declared twice",
                    fix: "rename one of them (the first is at \(first))")
                continue
            }
            seen[name] = location
            var receive: String?
            var transmit: String?
            var tap: PortDescriptor.TapSettings?
            if kind != .vxlan {
                for key in Self.vxlanKeys where fields[key] != nil {
                    decoder.report(
                        fields.keys[key]!, field: "\(field).\(key)", "\"\(key)\" belongs to VXLAN ports",
                        fix: "remove it, or make the port \"type: vxlan\"")
                }
            }
            if kind != .tap && kind != .vxlan {
                for key in Self.tapKeys where fields[key] != nil && key != "mtu" {
                    decoder.report(
                        fields.keys[key]!, field: "\(field).\(key)", "\"\(key)\" belongs to TAP ports",
                        fix: "remove it, or make the port \"type: tap\"")
                }
            }
            switch kind {
            case .tap:
                for key in ["path", "rx", "tx"] where fields[key] != nil {
                    decoder.report(
                        fields.keys[key]!, field: "\(field).\(key)", "a TAP port has no capture files",
                        fix: "remove \"\(key)\"; nfv-orch replay --in/--out can still feed the chain from captures")
                }
                guard let settings = readTap(fields, field: field, portName: name, decoder: decoder) else { continue }
                tap = settings
            case .vxlan:
                for key in ["path", "rx", "tx", "address", "gateway", "attach"] where fields[key] != nil {
                    decoder.report(
                        fields.keys[key]!, field: "\(field).\(key)", "a VXLAN port's kernel side is bridged to the tunnel and has no \(key)",
                        fix: "remove \"\(key)\"")
                }
                guard var settings = readTap(fields, field: field, portName: name, decoder: decoder),
                    let tunnel = readVXLAN(fields, element: element, field: field, decoder: decoder)
                else { continue }
                // The bridge and the tunnel's end live in a namespace of the port's own.
                if fields["namespace"] == nil { settings.namespace = "vx-\(settings.interfaceName)" }
                if fields["mtu"] == nil { settings.mtu = 1450 }  // 1500 on the underlay less VXLAN's 50 bytes
                settings.vxlan = tunnel
                tap = settings
            case .pcapIn, .pcapOut:
                for key in ["rx", "tx"] where fields[key] != nil {
                    decoder.report(
                        fields.keys[key]!, field: "\(field).\(key)", "a \(kind.rawValue) port takes \"path\", not \"\(key)\"",
                        fix: "use \"path:\", or \"type: pcap\" with rx/tx")
                }
                guard fields["path"] != nil else {
                    decoder.report(
                        element, field: "\(field).path", "a \(kind.rawValue) port needs a capture file",
                        fix: "add \"path: FILE.pcap\" (relative to the chain file)")
                    continue
                }
                if kind == .pcapIn { receive = path("path") } else { transmit = path("path") }
            case .pcap:
                if fields["path"] != nil {
                    decoder.report(
                        fields.keys["path"]!, field: "\(field).path", "a pcap port takes \"rx\" and \"tx\", not \"path\"",
                        fix: "write \"rx: FILE.pcap\" for arriving frames, \"tx: FILE.pcap\" for leaving ones")
                }
                receive = path("rx")
                transmit = path("tx")
                if fields["rx"] == nil && fields["tx"] == nil {
                    decoder.report(
                        element, field: "\(field)", "a pcap port needs \"rx\", \"tx\" or both",
                        fix: "add \"rx: FILE.pcap\" (frames arriving) and/or \"tx: FILE.pcap\" (frames leaving)")
                    continue
                }
            }
            var port = PortDescriptor(
                name: name, kind: kind, receivePath: receive, transmitPath: transmit, tap: tap, location: location)
            if kind != .tap && kind != .vxlan, let node = fields["mtu"], let mtu = decoder.integer(node, field: "\(field).mtu", range: 68...65_000) {
                port.captureMTU = mtu
            }
            ports.append(port)
        }
        return ports
    }

    static let tapKeys = ["ifname", "namespace", "address", "gateway", "mtu", "queues", "offloads", "shaper", "attach"]

    /// The kernel side of a TAP port, checked: a valid device and namespace name, an address
    /// with a prefix length, a gateway inside that subnet, an MTU and a queue count in range.
    func readTap(_ fields: MappingFields, field: String, portName: String, decoder: DescriptorDecoder) -> PortDescriptor.TapSettings? {
        let errorsBefore = decoder.errors.count
        var settings = PortDescriptor.TapSettings(interfaceName: portName)
        if let node = fields["ifname"], let text = decoder.string(node, field: "\(field).ifname") { settings.interfaceName = text }
        let nameValid =
            !settings.interfaceName.isEmpty && settings.interfaceName.utf8.count <= 15
            && settings.interfaceName.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        if !nameValid {
            decoder.report(
                fields["ifname"] ?? fields["name"]!, field: "\(field).ifname",
                "\"\(settings.interfaceName)\" is not a usable interface name",
                fix: "use 1 to 15 letters, digits, '-', '_' or '.' (set \"ifname:\" when the port name does not fit)")
        }
        if let node = fields["namespace"], let text = decoder.string(node, field: "\(field).namespace") {
            if text.isEmpty || text.contains("/") || text == "." || text == ".." || text.utf8.count > 64 {
                decoder.report(
                    node, field: "\(field).namespace", "\"\(text)\" is not a namespace name",
                    fix: "use a plain name such as nfv-client (it becomes /run/netns/NAME)")
            } else {
                settings.namespace = text
            }
        }
        var subnet: IPPrefix?
        if let node = fields["address"], let text = decoder.string(node, field: "\(field).address") {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            let v4 = IPv4Address(parts[0])
            let v6 = v4 == nil ? IPv6Address(parts[0]) : nil
            let maximum = v4 != nil ? 32 : 128
            if parts.count == 2, v4 != nil || v6 != nil, let length = Int(parts[1]), (1...maximum).contains(length) {
                settings.address = text
                let mapped = v4.map { IPv6Address(ipv4Mapped: $0) } ?? v6!
                subnet = IPPrefix(network: mapped, length: v4 != nil ? 96 + length : length, isIPv4: v4 != nil)
            } else {
                decoder.report(
                    node, field: "\(field).address", "\"\(text)\" is not an address with a prefix length",
                    fix: "write the kernel side's address as 10.0.1.2/24 or 2001:db8::2/64")
            }
        }
        if let node = fields["gateway"], let text = decoder.string(node, field: "\(field).gateway") {
            let gateway = IPv4Address(text).map { IPv6Address(ipv4Mapped: $0) } ?? IPv6Address(text)
            if gateway == nil {
                decoder.report(node, field: "\(field).gateway", "\"\(text)\" is not an IP address", fix: "write 10.0.1.1")
            } else if fields["namespace"] == nil {
                decoder.report(
                    node, field: "\(field).gateway", "a gateway is set only inside the port's own namespace",
                    fix: "add \"namespace:\" (the data plane never changes its own host's default route)")
            } else if fields["address"] == nil {
                decoder.report(
                    node, field: "\(field).gateway", "a gateway needs the port's own address",
                    fix: "add \"address:\" with the subnet the gateway is in")
            } else if let subnet, let gateway, !subnet.contains(gateway) || (IPv4Address(text) != nil) != subnet.isIPv4 {
                decoder.report(
                    node, field: "\(field).gateway", "\(text) is not inside \(settings.address ?? "")",
                    fix: "the gateway must be reachable on the port's subnet")
            } else {
                settings.gateway = text
            }
        }
        if let value = fields["mtu"].flatMap({ decoder.integer($0, field: "\(field).mtu", range: 68...9000) }) { settings.mtu = value }
        if let value = fields["queues"].flatMap({ decoder.integer($0, field: "\(field).queues", range: 1...16) }) { settings.queues = value }
        if let value = fields["offloads"].flatMap({ decoder.boolean($0, field: "\(field).offloads") }) { settings.offloads = value }
        if let node = fields["shaper"] { settings.shaper = readShaper(node, field: "\(field).shaper", decoder: decoder) }
        if let node = fields["attach"],
            let text = decoder.choice(
                node, field: "\(field).attach", choices: PortDescriptor.Attachment.allCases.map(\.rawValue), what: "attachment")
        {
            settings.attachment = PortDescriptor.Attachment(rawValue: text)
            // The container runtime names the interface and its namespace; its IPAM plugin
            // gives the address and routes.
            let fromRuntime = ["ifname": "CNI_IFNAME", "namespace": "CNI_NETNS", "address": "the IPAM plugin", "gateway": "the IPAM plugin"]
            for key in ["ifname", "namespace", "address", "gateway"] where fields[key] != nil {
                decoder.report(
                    fields.keys[key]!, field: "\(field).\(key)", "a port with \"attach: cni\" takes its \(key) from \(fromRuntime[key]!)",
                    fix: "remove \"\(key)\" (set it in the CNI network configuration instead)")
            }
        }
        return decoder.errors.count == errorsBefore ? settings : nil
    }

    func readStages(_ node: Node, decoder: DescriptorDecoder, directory: String) -> [StageDescriptor] {
        guard let elements = decoder.sequence(node, field: "spec.stages") else { return [] }
        var stages: [StageDescriptor] = []
        var seen: [String: SourceLocation] = [:]
        for (index, element) in elements.enumerated() {
            let field = "spec.stages[\(index)]"
            guard
                let fields = decoder.mapping(
                    element, field: field, allowed: ["name", "vnf", "config", "placement"],
                    required: ["name", "vnf"])
            else { continue }
            var name = fields["name"].flatMap { decoder.string($0, field: "\(field).name") }
            if let value = name, let reason = reservedStageNames[value] {
                decoder.report(
                    fields["name"]!, field: "\(field).name", "\"\(value)\" is reserved: \(reason)",
                    fix: "choose another stage name")
                name = nil
            }
            let vnf = fields["vnf"].flatMap {
                decoder.choice($0, field: "\(field).vnf", choices: knownVNFKinds, what: "VNF kind")
            }
            let config = configFile(
                stage: name, node: fields["config"], field: "\(field).config", what: "configuration file",
                fix: "paths are relative to the chain file's folder", decoder: decoder, directory: directory)
            guard let name, let vnf else { continue }
            let location = decoder.location(of: element)
            if let first = seen[name] {
                decoder.report(
                    fields["name"]!, field: "\(field).name", "stage \"\(name)\" is declared twice",
                    fix: "rename one of them (the first is at \(first))")
                continue
            }
            seen[name] = location
            var stage = StageDescriptor(name: name, vnf: vnf, config: config, location: location)
            stage.placement = fields["placement"].flatMap { decoder.string($0, field: "\(field).placement") }
            stages.append(stage)
        }
        return stages
    }

    /// The configuration file of stage `stage`: the frozen copy the orchestrator passes for it
    /// (`configOverrides`), else `node`'s path resolved against the chain file's folder, which
    /// must exist (else an error at `node` with `fix`).
    func configFile(
        stage: String?, node: Node?, field: String, what: String, fix: String, decoder: DescriptorDecoder, directory: String
    ) -> String? {
        if let stage, let override = configOverrides[stage] { return override }
        guard let node, let value = decoder.string(node, field: field) else { return nil }
        let resolved = resolve(value, in: directory)
        guard FileManager.default.fileExists(atPath: resolved) else {
            decoder.report(node, field: field, "\(what) \"\(resolved)\" does not exist", fix: fix)
            return nil
        }
        return resolved
    }

    func resolve(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty { return path }
        return (directory as NSString).appendingPathComponent(path)
    }

    func isDNSLabel(_ text: String) -> Bool {
        let characters = Array(text.utf8)
        guard (1...63).contains(characters.count) else { return false }
        func alphanumeric(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        guard alphanumeric(characters.first!), alphanumeric(characters.last!) else { return false }
        return characters.allSatisfy { alphanumeric($0) || $0 == 45 }
    }
}
