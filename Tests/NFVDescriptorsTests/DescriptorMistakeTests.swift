import Foundation
import NFVCatalog
import NFVDescriptors
import NFVReplay
import NFVTestSupport
import Testing

/// Twenty-eight kinds of descriptor mistake, each a one-line change of a valid chain (or of its
/// firewall configuration), each with the exact message a user must see: file:line:column,
/// the field path, what is wrong and what would fix it. The messages are the specification,
/// written down and reviewed by hand.
@Suite struct DescriptorMistakeTests {
    static let chain = """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: edge }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: nfv-in0, namespace: client, address: 10.0.0.1/24, gateway: 10.0.0.254 }
            - { name: outside, type: tap, ifname: nfv-out0, namespace: server, address: 10.0.1.1/24 }
          stages:
            - { name: fw, vnf: firewall, config: fw.yaml }

        """
    static let firewall = """
        apiVersion: nfv/v1
        kind: FirewallConfig
        metadata: { name: fw }
        spec:
          stateful: true
          defaultAction: drop
          rules:
            - { name: web, match: { inPort: inside, proto: tcp, dstPort: 80 }, action: allow }

        """

    struct Mistake: CustomTestStringConvertible, Sendable {
        var name: String
        var chain: String
        var firewall: String = DescriptorMistakeTests.firewall
        var messages: [String]
        var testDescription: String { name }
    }

    static func chain(_ from: String, _ to: String) -> String {
        precondition(Self.chain.contains(from), from)
        return Self.chain.replacingOccurrences(of: from, with: to)
    }

    static let mistakes: [Mistake] = [
        Mistake(
            name: "API version", chain: chain("nfv/v1", "nfv/v2"),
            messages: [#"chain.yaml:1:13: error: apiVersion: unsupported API version "nfv/v2"; use "nfv/v1""#]),
        Mistake(
            name: "kind misspelt", chain: chain("kind: Chain", "kind: Chian"),
            messages: [#"chain.yaml:2:7: error: kind: expected kind "Chain", found "Chian"; did you mean "Chain"?"#]),
        Mistake(
            name: "no name", chain: chain("metadata: { name: edge }", "metadata: { labels: {} }"),
            messages: [#"chain.yaml:3:11: error: metadata.name: required field is missing; add "name:" to this mapping"#]),
        Mistake(
            name: "name not a DNS label", chain: chain("name: edge", "name: Edge_GW"),
            messages: [
                #"chain.yaml:3:19: error: metadata.name: "Edge_GW" is not a valid chain name; use 1-63 lower-case letters, digits and '-', starting and ending with a letter or digit"#
            ]),
        Mistake(
            name: "unknown top-level field", chain: chain("spec:", "specs:"),
            messages: [
                #"chain.yaml:4:1: error: specs: unknown field; did you mean "spec"?"#,
                #"chain.yaml:1:1: error: spec: required field is missing; add "spec:" to this mapping"#,
            ]),
        Mistake(
            name: "port without a name", chain: chain("{ name: outside, type: tap,", "{ type: tap,"),
            messages: [#"chain.yaml:7:7: error: spec.ports[1].name: required field is missing; add "name:" to this mapping"#]),
        Mistake(
            name: "port declared twice", chain: chain("name: outside", "name: inside"),
            messages: [
                #"chain.yaml:7:15: error: spec.ports[1].name: port "inside" is declared twice; rename one of them (the first is at chain.yaml:6:7)"#
            ]),
        Mistake(
            name: "unknown port type", chain: chain("{ name: outside, type: tap", "{ name: outside, type: tapp"),
            messages: [#"chain.yaml:7:30: error: spec.ports[1].type: unknown port type "tapp"; did you mean "tap"?"#]),
        Mistake(
            name: "interface name too long", chain: chain("ifname: nfv-out0", "ifname: nfv-outside-port-0"),
            messages: [
                #"chain.yaml:7:43: error: spec.ports[1].ifname: "nfv-outside-port-0" is not a usable interface name; use 1 to 15 letters, digits, '-', '_' or '.' (set "ifname:" when the port name does not fit)"#
            ]),
        Mistake(
            name: "address without prefix length", chain: chain("address: 10.0.1.1/24", "address: 10.0.1.1"),
            messages: [
                #"chain.yaml:7:81: error: spec.ports[1].address: "10.0.1.1" is not an address with a prefix length; write the kernel side's address as 10.0.1.2/24 or 2001:db8::2/64"#
            ]),
        Mistake(
            name: "gateway outside the subnet", chain: chain("gateway: 10.0.0.254", "gateway: 10.9.0.254"),
            messages: [
                #"chain.yaml:6:102: error: spec.ports[0].gateway: 10.9.0.254 is not inside 10.0.0.1/24; the gateway must be reachable on the port's subnet"#
            ]),
        Mistake(
            name: "gateway without a namespace", chain: chain("namespace: client, ", ""),
            messages: [
                #"chain.yaml:6:83: error: spec.ports[0].gateway: a gateway is set only inside the port's own namespace; add "namespace:" (the data plane never changes its own host's default route)"#
            ]),
        Mistake(
            name: "MTU out of range", chain: chain("address: 10.0.1.1/24 }", "address: 10.0.1.1/24, mtu: 50 }"),
            messages: [#"chain.yaml:7:99: error: spec.ports[1].mtu: 50 is out of range; use a value from 68 to 9000"#]),
        Mistake(
            name: "MTU not a number", chain: chain("address: 10.0.1.1/24 }", "address: 10.0.1.1/24, mtu: big }"),
            messages: [#"chain.yaml:7:99: error: spec.ports[1].mtu: expected a whole number, found "big""#]),
        Mistake(
            name: "too many queues", chain: chain("address: 10.0.1.1/24 }", "address: 10.0.1.1/24, queues: 32 }"),
            messages: [#"chain.yaml:7:102: error: spec.ports[1].queues: 32 is out of range; use a value from 1 to 16"#]),
        Mistake(
            name: "misspelt port field", chain: chain("ifname: nfv-out0,", "ifname: nfv-out0, adress: 1.2.3.4/24,"),
            messages: [#"chain.yaml:7:53: error: spec.ports[1].adress: unknown field; did you mean "address"?"#]),
        Mistake(
            name: "ports as a mapping", chain: chain("  ports:\n", "  ports: { a: 1 }\n  oldports:\n"),
            messages: [
                #"chain.yaml:6:3: error: spec.oldports: unknown field; known fields here: ports, stages, workers, flowCache, restart, paths, unmatched, resources, qos, hosts, overlay"#,
                #"chain.yaml:5:10: error: spec.ports: expected a list, found a mapping; write one "- ..." line per element"#,
            ]),
        Mistake(
            name: "unknown restart policy", chain: Self.chain + "  restart: { policy: on-falure }\n",
            messages: [#"chain.yaml:10:22: error: spec.restart.policy: unknown restart policy "on-falure"; did you mean "on-failure"?"#]),
        Mistake(
            name: "too many workers", chain: Self.chain + "  workers: 64\n",
            messages: [#"chain.yaml:10:12: error: spec.workers: 64 is out of range; use a value from 1 to 16"#]),
        Mistake(
            name: "unknown VNF kind", chain: chain("vnf: firewall", "vnf: firewal"),
            messages: [#"chain.yaml:9:24: error: spec.stages[0].vnf: unknown VNF kind "firewal"; did you mean "firewall"?"#]),
        Mistake(
            name: "stage declared twice", chain: Self.chain + "    - { name: fw, vnf: pass-through }\n",
            messages: [
                #"chain.yaml:10:15: error: spec.stages[1].name: stage "fw" is declared twice; rename one of them (the first is at chain.yaml:9:7)"#
            ]),
        Mistake(
            name: "reserved stage name", chain: Self.chain + "    - { name: parse, vnf: pass-through }\n",
            messages: [
                #"chain.yaml:10:15: error: spec.stages[1].name: "parse" is reserved: every chain parses at ingress in a stage of that name; choose another stage name"#
            ]),
        Mistake(
            name: "firewall without config", chain: chain(", config: fw.yaml", ""),
            messages: [
                #"chain.yaml:9:7: error: spec.stages[0].config: a firewall stage needs a configuration file; add "config: ../vnf-configs/NAME.yaml" (relative to the chain file)"#
            ]),
        Mistake(
            name: "config file missing", chain: chain("config: fw.yaml", "config: nope.yaml"),
            messages: [
                #"chain.yaml:9:42: error: spec.stages[0].config: configuration file "nope.yaml" does not exist; paths are relative to the chain file's folder"#
            ]),
        Mistake(
            name: "config on a stage that takes none", chain: Self.chain + "    - { name: noop, vnf: pass-through, config: fw.yaml }\n",
            messages: [#"chain.yaml:10:7: error: spec.stages[1].config: a pass-through stage takes no configuration; remove "config:""#]),
        Mistake(
            name: "YAML syntax", chain: chain("config: fw.yaml }", "config: fw.yaml"),
            messages: [#"chain.yaml:10:1: error: YAML syntax error: did not find expected ',' or '}'"#]),
        Mistake(
            name: "firewall rule names an unknown port", chain: Self.chain,
            firewall: Self.firewall.replacingOccurrences(of: "inPort: inside", with: "inPort: insde"),
            messages: [#"fw.yaml:8:37: error: spec.rules[0].match.inPort: chain edge has no port "insde"; did you mean "inside"?"#]),
        Mistake(
            name: "firewall rule with an unknown action", chain: Self.chain,
            firewall: Self.firewall.replacingOccurrences(of: "action: allow", with: "action: permit"),
            messages: [#"fw.yaml:8:80: error: spec.rules[0].action: unknown action "permit"; use "allow", "drop" or "reject""#]),
    ]

    @Test(arguments: mistakes)
    func mistakeIsReportedExactly(_ mistake: Mistake) throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try mistake.chain.write(to: directory.appendingPathComponent("chain.yaml"), atomically: true, encoding: .utf8)
        try mistake.firewall.write(to: directory.appendingPathComponent("fw.yaml"), atomically: true, encoding: .utf8)
        var found: [String] = []
        do {
            _ = try LoadedChain.load(path: directory.appendingPathComponent("chain.yaml").path)
        } catch {
            found = error.errors.map { $0.description.replacingOccurrences(of: directory.path + "/", with: "") }
        }
        #expect(found == mistake.messages)
    }

    @Test func theBaseChainIsValid() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.chain.write(to: directory.appendingPathComponent("chain.yaml"), atomically: true, encoding: .utf8)
        try Self.firewall.write(to: directory.appendingPathComponent("fw.yaml"), atomically: true, encoding: .utf8)
        #expect(try LoadedChain.load(path: directory.appendingPathComponent("chain.yaml").path).descriptor.name == "edge")
        #expect(Self.mistakes.count >= 20)
    }
}
