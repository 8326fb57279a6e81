import Foundation
import NFVPacket
import NFVRouter
import Yams

/// Reads and validates `kind: RouterConfig` documents:
///
/// ```yaml
/// apiVersion: nfv/v1
/// kind: RouterConfig
/// metadata: { name: edge-router }
/// spec:
///   interfaces:
///     - { name: lan, port: inside,  mac: 02:00:00:00:01:01, addresses: [10.0.1.1/24, fd00:1::1/64] }
///     - { name: wan, port: outside, mac: 02:00:00:00:02:01, addresses: [198.51.100.2/30], mtu: 1500 }
///   routes:
///     - { dst: 0.0.0.0/0, via: 198.51.100.1 }
///     - { dst: 192.0.2.0/24, interface: lan }       # on-link
///   neighbors: { capacity: 1024, timeout: 60, queue: 8 }
///   icmpRateLimit: 100                              # ICMP errors per second
/// ```
public struct RouterConfigLoader: Sendable {
    public init() {}

    /// A loaded configuration and the chain ports it names.
    public typealias Loaded = LoadedConfiguration<RouterConfiguration>

    /// Loads the configuration in `path`.
    public func load(path: String) throws(DescriptorErrorList) -> Loaded {
        try parse(try VNFDocument.text(at: path), file: path)
    }

    /// Parses a configuration from `text`; `file` names it in errors.
    public func parse(_ text: String, file: String) throws(DescriptorErrorList) -> Loaded {
        let (decoder, name, spec) = try VNFDocument.spec(
            text, file: file, kind: "RouterConfig", allowed: ["interfaces", "routes", "neighbors", "icmpRateLimit"],
            required: ["interfaces"])
        var interfaces: [RouterInterface] = []
        var references: [PortReference] = []
        if let node = spec["interfaces"], let elements = decoder.sequence(node, field: "spec.interfaces") {
            var names: [String: SourceLocation] = [:]
            var ports: [String: String] = [:]
            for (index, element) in elements.enumerated() {
                let field = "spec.interfaces[\(index)]"
                guard
                    let fields = decoder.mapping(
                        element, field: field, allowed: ["name", "port", "mac", "addresses", "mtu"],
                        required: ["name", "port", "mac"])
                else { continue }
                let interfaceName = fields["name"].flatMap { decoder.string($0, field: "\(field).name") }
                let port = fields["port"].flatMap { decoder.string($0, field: "\(field).port") }
                if let port, let node = fields["port"] {
                    references.append(PortReference(name: port, location: decoder.location(of: node), field: "\(field).port"))
                    if let other = ports[port] {
                        decoder.report(
                            node, field: "\(field).port", "port \"\(port)\" already belongs to interface \"\(other)\"",
                            fix: "give each interface its own chain port")
                    }
                    ports[port] = interfaceName ?? "?"
                }
                var mac: MACAddress?
                if let node = fields["mac"], let text = decoder.string(node, field: "\(field).mac") {
                    mac = MACAddress(text)
                    if mac == nil {
                        decoder.report(node, field: "\(field).mac", "\"\(text)\" is not a MAC address", fix: "write it as 02:00:00:00:01:01")
                    } else if mac!.isMulticast || mac == .zero {
                        decoder.report(
                            node, field: "\(field).mac", "\(text) is not a unicast address",
                            fix: "the first octet must be even (02:... is a locally administered unicast address)")
                        mac = nil
                    }
                }
                var addresses: [InterfaceAddress] = []
                if let node = fields["addresses"] {
                    let list: [(Node, String)] = {
                        if case .sequence(let sequence) = node { return sequence.enumerated().map { ($1, "\(field).addresses[\($0)]") } }
                        return [(node, "\(field).addresses")]
                    }()
                    for (element, path) in list {
                        guard let text = decoder.string(element, field: path) else { continue }
                        guard let address = InterfaceAddress(text) else {
                            decoder.report(
                                element, field: path, "\"\(text)\" is not an interface address with its prefix length",
                                fix: "write it as 10.0.1.1/24 or fd00:1::1/64")
                            continue
                        }
                        addresses.append(address)
                    }
                }
                var mtu = 1500
                if let node = fields["mtu"], let value = decoder.integer(node, field: "\(field).mtu", range: 68...65_000) {
                    mtu = value
                    if value < 1280 && addresses.contains(where: { !$0.isIPv4 }) {
                        decoder.report(node, field: "\(field).mtu", "IPv6 needs an MTU of at least 1280 (RFC 8200 section 5)")
                    }
                }
                guard let interfaceName, let port, let mac else { continue }
                if let first = names[interfaceName] {
                    decoder.report(
                        fields["name"]!, field: "\(field).name", "interface \"\(interfaceName)\" is declared twice",
                        fix: "rename one (the first is at \(first))")
                    continue
                }
                names[interfaceName] = decoder.location(of: element)
                interfaces.append(RouterInterface(name: interfaceName, port: port, mac: mac, addresses: addresses, mtu: mtu))
            }
        }
        var routes: [RouterRoute] = []
        if let node = spec["routes"], let elements = decoder.sequence(node, field: "spec.routes") {
            let interfaceNames = interfaces.map(\.name)
            for (index, element) in elements.enumerated() {
                let field = "spec.routes[\(index)]"
                guard let fields = decoder.mapping(element, field: field, allowed: ["dst", "via", "interface"], required: ["dst"])
                else { continue }
                var destination: IPPrefix?
                if let node = fields["dst"], let text = decoder.string(node, field: "\(field).dst") {
                    destination = IPPrefix(text)
                    if destination == nil {
                        decoder.report(
                            node, field: "\(field).dst", "\"\(text)\" is not a prefix",
                            fix: "write it as 0.0.0.0/0, 192.0.2.0/24 or 2001:db8::/32 with the host bits zero")
                    }
                }
                var gateway: IPv6Address?
                if let node = fields["via"], let text = decoder.string(node, field: "\(field).via") {
                    gateway = IPv4Address(text).map { IPv6Address(ipv4Mapped: $0) } ?? IPv6Address(text)
                    if gateway == nil {
                        decoder.report(node, field: "\(field).via", "\"\(text)\" is not an IP address")
                    } else if let destination, (gateway!.ipv4Mapped != nil) != destination.isIPv4 {
                        decoder.report(
                            node, field: "\(field).via", "the next hop's family differs from the destination's",
                            fix: "an IPv4 route needs an IPv4 next hop, an IPv6 route an IPv6 one")
                        gateway = nil
                    }
                }
                var interface: String?
                if let node = fields["interface"], let text = decoder.string(node, field: "\(field).interface") {
                    if interfaceNames.contains(text) {
                        interface = text
                    } else {
                        let fix =
                            Suggestion.closest(to: text, in: interfaceNames).map { "did you mean \"\($0)\"?" }
                            ?? "interfaces: " + interfaceNames.joined(separator: ", ")
                        decoder.report(node, field: "\(field).interface", "no interface \"\(text)\"", fix: fix)
                    }
                }
                guard let destination else { continue }
                if fields["via"] == nil && fields["interface"] == nil {
                    decoder.report(
                        element, field: field, "a route needs a next hop or an interface",
                        fix: "add \"via: ADDRESS\" or \"interface: NAME\"")
                    continue
                }
                if let gateway, interface == nil,
                    !interfaces.contains(where: { $0.addresses.contains { $0.subnet.contains(gateway) } })
                {
                    decoder.report(
                        fields["via"]!, field: "\(field).via",
                        "next hop \(gateway.ipv4Mapped.map { "\($0)" } ?? "\(gateway)") is on no interface's subnet",
                        fix: "add the subnet to an interface, or name the egress with \"interface:\"")
                    continue
                }
                if fields["via"] != nil && gateway == nil { continue }
                routes.append(RouterRoute(destination: destination, gateway: gateway, interface: interface))
            }
        }
        var configuration = RouterConfiguration(name: name, interfaces: interfaces, routes: routes)
        if let node = spec["neighbors"],
            let fields = decoder.mapping(node, field: "spec.neighbors", allowed: ["capacity", "timeout", "queue", "static"])
        {
            if let list = fields["static"], let elements = decoder.sequence(list, field: "spec.neighbors.static") {
                for (index, element) in elements.enumerated() {
                    let field = "spec.neighbors.static[\(index)]"
                    guard let entry = decoder.mapping(element, field: field, allowed: ["address", "mac"], required: ["address", "mac"]),
                        let addressText = entry["address"].flatMap({ decoder.string($0, field: "\(field).address") }),
                        let macText = entry["mac"].flatMap({ decoder.string($0, field: "\(field).mac") })
                    else { continue }
                    let address = IPv4Address(addressText).map { IPv6Address(ipv4Mapped: $0) } ?? IPv6Address(addressText)
                    guard let address else {
                        decoder.report(entry["address"]!, field: "\(field).address", "\"\(addressText)\" is not an IP address")
                        continue
                    }
                    guard let mac = MACAddress(macText), !mac.isMulticast else {
                        decoder.report(entry["mac"]!, field: "\(field).mac", "\"\(macText)\" is not a unicast MAC address")
                        continue
                    }
                    guard interfaces.contains(where: { $0.addresses.contains { $0.subnet.contains(address) } }) else {
                        decoder.report(entry["address"]!, field: "\(field).address", "\(addressText) is on no interface's subnet")
                        continue
                    }
                    configuration.staticNeighbors.append((address, mac))
                }
            }
            if let value = fields["capacity"].flatMap({ decoder.integer($0, field: "spec.neighbors.capacity", range: 16...1_048_576) }) {
                configuration.neighborCapacity = value
            }
            if let value = fields["timeout"].flatMap({ decoder.integer($0, field: "spec.neighbors.timeout", range: 1...86_400) }) {
                configuration.neighborTimeout = UInt64(value)
            }
            if let value = fields["queue"].flatMap({ decoder.integer($0, field: "spec.neighbors.queue", range: 1...255) }) {
                configuration.pendingPacketsPerNeighbor = value
            }
        }
        if let node = spec["icmpRateLimit"],
            let value = decoder.integer(node, field: "spec.icmpRateLimit", range: 0...1_000_000)
        {
            configuration.icmpErrorsPerSecond = value
        }
        guard decoder.errors.isEmpty else { throw DescriptorErrorList(decoder.errors) }
        return Loaded(configuration: configuration, portReferences: references)
    }
}
