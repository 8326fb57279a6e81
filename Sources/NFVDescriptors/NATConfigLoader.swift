import Foundation
import NFVNAT
import NFVPacket
import Yams

/// Reads and validates `kind: NatConfig` documents:
///
/// ```yaml
/// apiVersion: nfv/v1
/// kind: NatConfig
/// metadata: { name: edge-nat }
/// spec:
///   inside: inside                 # chain port facing the private network
///   outside: outside               # chain port facing the public network
///   pool: [198.51.100.2]
///   snat: [{ name: lan-out, match: { srcPrefix: 10.0.1.0/24 }, ports: 1024-65535 }]
///   dnat:
///     - { name: web-in, proto: tcp, external: 198.51.100.2:8080, internal: 10.0.1.10:80 }   # a port
///     - { name: dns-in, proto: udp, external: 198.51.100.3, internal: 10.0.1.53 }           # every UDP port
///     - { name: ping-in, proto: icmp, external: 198.51.100.3, internal: 10.0.1.53 }         # ICMP echo
///     - { name: host, external: 198.51.100.4, internal: 10.0.1.20 }                         # the whole address
///   filtering: endpoint-independent  # or address-dependent
///   hairpin: true
///   onExhaustion: icmp-unreachable   # or drop (the default); RFC 5508 REQ-8
///   sessions: { max: 262144, udpTimeout: 300s, tcpEstablishedTimeout: 7440s, tcpTransitoryTimeout: 240s, icmpTimeout: 60s }
/// ```
/// `mapping:` may be given and must be `endpoint-independent` (RFC 4787 REQ-1, the only
/// behaviour this NAT has).
public struct NATConfigLoader: Sendable {
    public init() {}

    /// A loaded configuration and the chain ports it names.
    public typealias Loaded = LoadedConfiguration<NATConfiguration>

    /// Loads the configuration in `path`.
    public func load(path: String) throws(DescriptorErrorList) -> Loaded {
        try parse(try VNFDocument.text(at: path), file: path)
    }

    /// Parses a configuration from `text`; `file` names it in errors.
    public func parse(_ text: String, file: String) throws(DescriptorErrorList) -> Loaded {
        let (decoder, name, spec) = try VNFDocument.spec(
            text, file: file, kind: "NatConfig",
            allowed: ["inside", "outside", "pool", "snat", "dnat", "mapping", "filtering", "hairpin", "sessions", "onExhaustion"],
            required: ["inside", "outside", "pool"])
        var references: [PortReference] = []
        var ports: [String: String] = [:]
        for key in ["inside", "outside"] {
            if let node = spec[key], let port = decoder.string(node, field: "spec.\(key)") {
                ports[key] = port
                references.append(PortReference(name: port, location: decoder.location(of: node), field: "spec.\(key)"))
            }
        }
        if let inside = ports["inside"], inside == ports["outside"] {
            decoder.report(
                spec["outside"]!, field: "spec.outside", "inside and outside are the same port",
                fix: "a NAT sits between two chain ports")
        }
        var pool: [IPv4Address] = []
        if let node = spec["pool"] {
            for (element, path) in list(node, field: "spec.pool") {
                guard let text = decoder.string(element, field: path) else { continue }
                if let range = poolRange(text) {
                    pool += range
                } else {
                    decoder.report(
                        element, field: path, "\"\(text)\" is not an IPv4 address or range",
                        fix: "write 198.51.100.2 or 198.51.100.2-198.51.100.9")
                }
            }
            if pool.count > 255 {
                decoder.report(node, field: "spec.pool", "\(pool.count) addresses; at most 255 are supported")
            }
        }
        var rules: [NATConfiguration.SourceRule] = []
        if let node = spec["snat"], let elements = decoder.sequence(node, field: "spec.snat") {
            for (index, element) in elements.enumerated() {
                let field = "spec.snat[\(index)]"
                guard let fields = decoder.mapping(element, field: field, allowed: ["name", "match", "ports"], required: ["name", "match"]),
                    let ruleName = fields["name"].flatMap({ decoder.string($0, field: "\(field).name") })
                else { continue }
                var prefixes: [IPPrefix] = []
                if let match = fields["match"],
                    let matchFields = decoder.mapping(match, field: "\(field).match", allowed: ["srcPrefix"], required: ["srcPrefix"]),
                    let prefixNode = matchFields["srcPrefix"]
                {
                    for (prefixElement, path) in list(prefixNode, field: "\(field).match.srcPrefix") {
                        guard let text = decoder.string(prefixElement, field: path) else { continue }
                        guard let prefix = IPPrefix(text), prefix.isIPv4 else {
                            decoder.report(
                                prefixElement, field: path, "\"\(text)\" is not an IPv4 prefix",
                                fix: "this NAT translates IPv4: write 10.0.1.0/24")
                            continue
                        }
                        prefixes.append(prefix)
                    }
                }
                var range = PortRange(1024, 65535)
                if let portsNode = fields["ports"], let text = decoder.string(portsNode, field: "\(field).ports") {
                    let bounds = text.split(separator: "-").map { UInt16($0) }
                    if bounds.count == 2, let low = bounds[0], let high = bounds[1], low >= 1, low <= high {
                        range = PortRange(low, high)
                    } else {
                        decoder.report(
                            portsNode, field: "\(field).ports", "\"\(text)\" is not a port range",
                            fix: "write 1024-65535 (low-high, from 1)")
                    }
                }
                rules.append(NATConfiguration.SourceRule(name: ruleName, sourcePrefixes: prefixes, ports: range))
            }
        }
        var forwards: [NATConfiguration.Forward] = []
        if let node = spec["dnat"], let elements = decoder.sequence(node, field: "spec.dnat") {
            for (index, element) in elements.enumerated() {
                let field = "spec.dnat[\(index)]"
                guard
                    let fields = decoder.mapping(
                        element, field: field, allowed: ["name", "proto", "external", "internal"],
                        required: ["name", "external", "internal"]),
                    let forwardName = fields["name"].flatMap({ decoder.string($0, field: "\(field).name") })
                else { continue }
                var ipProtocol: UInt8?
                if let protoNode = fields["proto"] {
                    ipProtocol = decoder.choice(protoNode, field: "\(field).proto", choices: ["tcp", "udp", "icmp"], what: "protocol")
                        .map { ["tcp": IPProtocol.tcp, "udp": IPProtocol.udp, "icmp": IPProtocol.icmp][$0]! }
                }
                let externalEndpoint = fields["external"].flatMap { endpoint($0, field: "\(field).external", decoder: decoder) }
                let internalEndpoint = fields["internal"].flatMap { endpoint($0, field: "\(field).internal", decoder: decoder) }
                guard let externalEndpoint, let internalEndpoint else { continue }
                if ipProtocol == IPProtocol.icmp && (externalEndpoint.port != nil || internalEndpoint.port != nil) {
                    decoder.report(
                        element, field: field, "ICMP has no ports",
                        fix: "write external: ADDRESS and internal: ADDRESS (echo requests keep their identifier)")
                    continue
                }
                if ipProtocol != nil && (externalEndpoint.port == nil) != (internalEndpoint.port == nil) {
                    decoder.report(
                        element, field: field, "a port forward needs ports on both sides",
                        fix: "write external: ADDRESS:PORT and internal: ADDRESS:PORT, or no ports to forward every port of the protocol")
                    continue
                }
                if ipProtocol == nil && (externalEndpoint.port != nil || internalEndpoint.port != nil) {
                    decoder.report(element, field: field, "ports need a protocol", fix: "add \"proto: tcp\" or \"proto: udp\"")
                    continue
                }
                forwards.append(
                    NATConfiguration.Forward(
                        name: forwardName, ipProtocol: ipProtocol, externalAddress: externalEndpoint.address,
                        externalPort: externalEndpoint.port, internalAddress: internalEndpoint.address,
                        internalPort: internalEndpoint.port))
            }
        }
        if let node = spec["mapping"],
            let value = decoder.choice(
                node, field: "spec.mapping", choices: ["endpoint-independent"],
                what: "mapping behaviour")
        {
            _ = value
        }
        var filtering = NATConfiguration.Filtering.endpointIndependent
        if let node = spec["filtering"],
            let value = decoder.choice(
                node, field: "spec.filtering",
                choices: NATConfiguration.Filtering.allCases.map(\.rawValue),
                what: "filtering behaviour")
        {
            filtering = NATConfiguration.Filtering(rawValue: value)!
        }
        var hairpin = true
        if let node = spec["hairpin"] {
            if case .scalar = node, let value = node.bool {
                hairpin = value
            } else {
                decoder.report(node, field: "spec.hairpin", "expected true or false")
            }
        }
        var unreachableOnExhaustion = false
        if let node = spec["onExhaustion"],
            let value = decoder.choice(
                node, field: "spec.onExhaustion",
                choices: ["drop", "icmp-unreachable"], what: "exhaustion behaviour")
        {
            unreachableOnExhaustion = value == "icmp-unreachable"
        }
        var timeouts = NATConfiguration.Timeouts()
        var maximum = 65_536
        if let node = spec["sessions"],
            let fields = decoder.mapping(
                node, field: "spec.sessions",
                allowed: ["max", "udpTimeout", "tcpEstablishedTimeout", "tcpTransitoryTimeout", "icmpTimeout"])
        {
            if let value = fields["max"].flatMap({ decoder.integer($0, field: "spec.sessions.max", range: 16...16_777_216) }) {
                maximum = value
            }
            // RFC 4787 REQ-5, RFC 5382 REQ-5, RFC 5508 REQ-1 minimums.
            for (key, minimum, keyPath) in [
                ("udpTimeout", 120, \NATConfiguration.Timeouts.udp),
                ("tcpEstablishedTimeout", 7440, \NATConfiguration.Timeouts.tcpEstablished),
                ("tcpTransitoryTimeout", 240, \NATConfiguration.Timeouts.tcpTransitory),
                ("icmpTimeout", 60, \NATConfiguration.Timeouts.icmp),
            ] {
                guard let valueNode = fields[key], let text = decoder.string(valueNode, field: "spec.sessions.\(key)") else { continue }
                guard let seconds = Self.seconds(text) else {
                    decoder.report(valueNode, field: "spec.sessions.\(key)", "\"\(text)\" is not a duration", fix: "write 300s, 5m or 2h")
                    continue
                }
                if seconds < minimum {
                    decoder.report(
                        valueNode, field: "spec.sessions.\(key)", "\(seconds)s is below the \(minimum)s the RFCs require",
                        fix: "use at least \(minimum)s")
                    continue
                }
                timeouts[keyPath: keyPath] = UInt64(seconds)
            }
        }
        guard decoder.errors.isEmpty, let inside = ports["inside"], let outside = ports["outside"] else {
            throw DescriptorErrorList(decoder.errors)
        }
        return Loaded(
            configuration: NATConfiguration(
                name: name, insidePort: inside, outsidePort: outside, pool: pool,
                sourceRules: rules, forwards: forwards, filtering: filtering,
                hairpin: hairpin, maximumMappings: maximum, timeouts: timeouts,
                unreachableOnExhaustion: unreachableOnExhaustion),
            portReferences: references)
    }

    func list(_ node: Node, field: String) -> [(Node, String)] {
        if case .sequence(let sequence) = node { return sequence.enumerated().map { ($1, "\(field)[\($0)]") } }
        return [(node, field)]
    }

    func poolRange(_ text: String) -> [IPv4Address]? {
        let parts = text.split(separator: "-").map { IPv4Address(String($0)) }
        if parts.count == 1, let single = parts[0] { return [single] }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low <= high, high.rawValue - low.rawValue < 256 else { return nil }
        return (low.rawValue...high.rawValue).map { IPv4Address(rawValue: $0) }
    }

    func endpoint(_ node: Node, field: String, decoder: DescriptorDecoder) -> (address: IPv4Address, port: UInt16?)? {
        guard let text = decoder.string(node, field: field) else { return nil }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let address = IPv4Address(parts[0]), parts.count == 1 || UInt16(parts[1]).map({ $0 > 0 }) == true else {
            decoder.report(node, field: field, "\"\(text)\" is not ADDRESS or ADDRESS:PORT", fix: "write 198.51.100.2:8080")
            return nil
        }
        return (address, parts.count == 2 ? UInt16(parts[1]) : nil)
    }

    /// Whole seconds of a duration ("300s", "5m", "2h", or a bare number of seconds).
    static func seconds(_ text: String) -> Int? {
        guard let milliseconds = DescriptorDecoder.milliseconds(text.allSatisfy(\.isNumber) ? text + "s" : text),
            milliseconds % 1000 == 0
        else { return nil }
        return milliseconds / 1000
    }
}
