import Foundation
import NFVLoadBalancer
import NFVPacket
import Yams

/// Reads and validates `kind: LoadBalancerConfig` documents:
///
/// ```yaml
/// apiVersion: nfv/v1
/// kind: LoadBalancerConfig
/// metadata: { name: web-lb }
/// spec:
///   clients: outside                # chain port the clients are on
///   backends: inside                # chain port the backends are on
///   tableSize: 65537                # Maglev table: a prime >= 100 x backends
///   services:
///     - name: web
///       vip: 203.0.113.10:80/tcp
///       mode: nat                   # or dsr (backends need a mac)
///       scheduler: maglev           # or round-robin (weighted, smooth)
///       backends:
///         - { name: web1, address: 10.0.2.11:8080, weight: 1 }
///       fallback: { name: sorry, address: 10.0.2.99:8080 }
/// ```
public struct LoadBalancerConfigLoader: Sendable {
    public init() {}

    /// A loaded configuration and the chain ports it names.
    public typealias Loaded = LoadedConfiguration<LoadBalancerConfiguration>

    /// Loads the configuration in `path`.
    public func load(path: String) throws(DescriptorErrorList) -> Loaded {
        try parse(try VNFDocument.text(at: path), file: path)
    }

    /// Parses a configuration from `text`; `file` names it in errors.
    public func parse(_ text: String, file: String) throws(DescriptorErrorList) -> Loaded {
        let (decoder, name, spec) = try VNFDocument.spec(
            text, file: file, kind: "LoadBalancerConfig",
            allowed: ["clients", "backends", "tableSize", "connections", "services"],
            required: ["clients", "backends", "services"])
        var references: [PortReference] = []
        var ports: [String: String] = [:]
        for key in ["clients", "backends"] {
            if let node = spec[key], let port = decoder.string(node, field: "spec.\(key)") {
                ports[key] = port
                references.append(PortReference(name: port, location: decoder.location(of: node), field: "spec.\(key)"))
            }
        }
        var tableSize = 65_537
        if let node = spec["tableSize"], let value = decoder.integer(node, field: "spec.tableSize", range: 2...10_000_019) {
            if MaglevTable.isPrime(value) {
                tableSize = value
            } else {
                var prime = value + 1
                while !MaglevTable.isPrime(prime) { prime += 1 }
                decoder.report(node, field: "spec.tableSize", "\(value) is not a prime", fix: "use \(prime)")
            }
        }
        var capacity = 65_536
        if let node = spec["connections"], let fields = decoder.mapping(node, field: "spec.connections", allowed: ["max"]),
            let value = fields["max"].flatMap({ decoder.integer($0, field: "spec.connections.max", range: 16...16_777_216) })
        {
            capacity = value
        }
        var services: [LoadBalancerConfiguration.Service] = []
        if let node = spec["services"], let elements = decoder.sequence(node, field: "spec.services") {
            for (index, element) in elements.enumerated() {
                let field = "spec.services[\(index)]"
                guard
                    let fields = decoder.mapping(
                        element, field: field,
                        allowed: ["name", "vip", "mode", "scheduler", "backends", "fallback", "healthCheck"],
                        required: ["name", "vip", "backends"]),
                    let serviceName = fields["name"].flatMap({ decoder.string($0, field: "\(field).name") })
                else { continue }
                var vip: (IPv4Address, UInt16, UInt8)?
                if let vipNode = fields["vip"], let text = decoder.string(vipNode, field: "\(field).vip") {
                    vip = parseVIP(text)
                    if vip == nil {
                        decoder.report(
                            vipNode, field: "\(field).vip", "\"\(text)\" is not ADDRESS:PORT/PROTOCOL",
                            fix: "write 203.0.113.10:80/tcp (tcp or udp)")
                    }
                }
                var mode = LoadBalancerConfiguration.Mode.nat
                if let modeNode = fields["mode"],
                    let value = decoder.choice(
                        modeNode, field: "\(field).mode",
                        choices: LoadBalancerConfiguration.Mode.allCases.map(\.rawValue),
                        what: "mode")
                {
                    mode = LoadBalancerConfiguration.Mode(rawValue: value)!
                }
                var scheduler = LoadBalancerConfiguration.Scheduler.maglev
                if let node = fields["scheduler"],
                    let value = decoder.choice(
                        node, field: "\(field).scheduler",
                        choices: LoadBalancerConfiguration.Scheduler.allCases.map(\.rawValue),
                        what: "scheduler")
                {
                    scheduler = LoadBalancerConfiguration.Scheduler(rawValue: value)!
                }
                var backends: [LoadBalancerConfiguration.Backend] = []
                if let list = fields["backends"], let entries = decoder.sequence(list, field: "\(field).backends") {
                    for (position, entry) in entries.enumerated() {
                        if let backend = readBackend(entry, field: "\(field).backends[\(position)]", mode: mode, decoder: decoder) {
                            if backends.contains(where: { $0.name == backend.name }) {
                                decoder.report(
                                    entry, field: "\(field).backends[\(position)].name",
                                    "backend \"\(backend.name)\" is declared twice",
                                    fix: "names seed the Maglev permutations and must be unique")
                            } else {
                                backends.append(backend)
                            }
                        }
                    }
                    if backends.count * 100 > tableSize {
                        decoder.report(
                            list, field: "\(field).backends",
                            "\(backends.count) backends need a Maglev table of at least \(backends.count * 100) entries",
                            fix: "raise spec.tableSize to a prime of at least 100 x backends")
                    }
                }
                let fallback = fields["fallback"].flatMap { readBackend($0, field: "\(field).fallback", mode: mode, decoder: decoder) }
                let healthCheck = fields["healthCheck"].flatMap { readHealthCheck($0, field: "\(field).healthCheck", decoder: decoder) }
                guard let vip else { continue }
                services.append(
                    LoadBalancerConfiguration.Service(
                        name: serviceName, vip: vip.0, port: vip.1, ipProtocol: vip.2,
                        mode: mode, backends: backends, fallback: fallback,
                        healthCheck: healthCheck, scheduler: scheduler))
            }
        }
        guard decoder.errors.isEmpty, let clients = ports["clients"], let backendPort = ports["backends"] else {
            throw DescriptorErrorList(decoder.errors)
        }
        return Loaded(
            configuration: LoadBalancerConfiguration(
                name: name, clientPort: clients, backendPort: backendPort,
                services: services, tableSize: tableSize,
                connectionCapacity: capacity),
            portReferences: references)
    }

    func parseVIP(_ text: String) -> (IPv4Address, UInt16, UInt8)? {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2, let proto = ["tcp": IPProtocol.tcp, "udp": IPProtocol.udp][parts[1].lowercased()] else { return nil }
        let endpoint = parts[0].split(separator: ":").map(String.init)
        guard endpoint.count == 2, let address = IPv4Address(endpoint[0]), let port = UInt16(endpoint[1]), port > 0 else { return nil }
        return (address, port, proto)
    }

    func readHealthCheck(_ node: Node, field: String, decoder: DescriptorDecoder) -> LoadBalancerConfiguration.HealthCheck? {
        guard let fields = decoder.mapping(node, field: field, allowed: ["type", "interval", "timeout", "fall", "rise"]) else {
            return nil
        }
        var check = LoadBalancerConfiguration.HealthCheck()
        let errorsBefore = decoder.errors.count
        if let typeNode = fields["type"],
            let value = decoder.choice(
                typeNode, field: "\(field).type",
                choices: LoadBalancerConfiguration.HealthCheck.Kind.allCases.map(\.rawValue),
                what: "health check type")
        {
            check.kind = LoadBalancerConfiguration.HealthCheck.Kind(rawValue: value)!
        }
        for (key, keyPath) in [
            ("interval", \LoadBalancerConfiguration.HealthCheck.intervalMilliseconds),
            ("timeout", \LoadBalancerConfiguration.HealthCheck.timeoutMilliseconds),
        ] {
            guard let valueNode = fields[key], let text = decoder.string(valueNode, field: "\(field).\(key)") else { continue }
            guard let milliseconds = DescriptorDecoder.milliseconds(text), (10...3_600_000).contains(milliseconds) else {
                decoder.report(
                    valueNode, field: "\(field).\(key)", "\"\(text)\" is not a duration from 10ms to 1h",
                    fix: "write 2s, 500ms or 1m")
                continue
            }
            check[keyPath: keyPath] = milliseconds
        }
        if let value = fields["fall"].flatMap({ decoder.integer($0, field: "\(field).fall", range: 1...100) }) { check.fall = value }
        if let value = fields["rise"].flatMap({ decoder.integer($0, field: "\(field).rise", range: 1...100) }) { check.rise = value }
        if decoder.errors.count == errorsBefore, check.timeoutMilliseconds > check.intervalMilliseconds {
            decoder.report(
                fields["timeout"] ?? node, field: "\(field).timeout",
                "the timeout (\(check.timeoutMilliseconds)ms) is longer than the interval (\(check.intervalMilliseconds)ms)",
                fix: "a probe must end before the next starts: make the timeout at most the interval")
        }
        return decoder.errors.count == errorsBefore ? check : nil
    }

    func readBackend(
        _ node: Node, field: String, mode: LoadBalancerConfiguration.Mode,
        decoder: DescriptorDecoder
    ) -> LoadBalancerConfiguration.Backend? {
        guard
            let fields = decoder.mapping(
                node, field: field, allowed: ["name", "address", "weight", "mac"],
                required: ["name", "address"]),
            let backendName = fields["name"].flatMap({ decoder.string($0, field: "\(field).name") }),
            let addressNode = fields["address"], let text = decoder.string(addressNode, field: "\(field).address")
        else { return nil }
        let endpoint = text.split(separator: ":").map(String.init)
        guard endpoint.count == 2, let address = IPv4Address(endpoint[0]), let port = UInt16(endpoint[1]), port > 0 else {
            decoder.report(addressNode, field: "\(field).address", "\"\(text)\" is not ADDRESS:PORT", fix: "write 10.0.2.11:8080")
            return nil
        }
        var weight = 1
        if let weightNode = fields["weight"], let value = decoder.integer(weightNode, field: "\(field).weight", range: 1...1000) {
            weight = value
        }
        var mac: MACAddress?
        if let macNode = fields["mac"], let macText = decoder.string(macNode, field: "\(field).mac") {
            mac = MACAddress(macText)
            if mac == nil { decoder.report(macNode, field: "\(field).mac", "\"\(macText)\" is not a MAC address") }
        }
        if mode == .dsr && mac == nil && fields["mac"] == nil {
            decoder.report(node, field: "\(field).mac", "a DSR backend needs its MAC address", fix: "add \"mac: 02:00:00:00:02:11\"")
            return nil
        }
        return LoadBalancerConfiguration.Backend(name: backendName, address: address, port: port, weight: weight, mac: mac)
    }
}
