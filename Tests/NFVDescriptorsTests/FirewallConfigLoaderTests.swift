import Foundation
import NFVCatalog
import NFVDescriptors
import NFVFirewall
import NFVPacket
import NFVReplay
import NFVTestSupport
import Testing

@Suite struct FirewallConfigLoaderTests {
    func errors(_ spec: String) -> [String] {
        let text = "apiVersion: nfv/v1\nkind: FirewallConfig\nmetadata: { name: t }\nspec:\n" + spec
        do {
            _ = try FirewallConfigLoader().parse(text, file: "fw.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func readsRulesIntoTypedMatches() throws {
        let loaded = try FirewallConfigLoader().parse(
            """
            apiVersion: nfv/v1
            kind: FirewallConfig
            metadata: { name: t }
            spec:
              defaultAction: reject
              rules:
                - { name: web, match: { inPort: lan, proto: tcp, dstPrefix: [203.0.113.0/24], dstPort: [80, 8000-8099], tcpFlags: [syn, "!ack"] }, action: allow }
                - { name: v6, match: { etherType: ipv6, srcPrefix: 2001:db8::/32, vlan: 7 }, action: drop }
            """, file: "fw.yaml")
        let config = loaded.configuration
        #expect(config.stateful && config.defaultAction == .reject && config.connectionCapacity == 65_536)
        let web = config.rules[0].match
        #expect(web.inPort == "lan" && web.ipProtocol == 6)
        #expect(web.destinationPrefixes == [IPPrefix("203.0.113.0/24")!])
        #expect(web.destinationPorts == [PortRange(80, 80), PortRange(8000, 8099)])
        #expect(web.tcpFlagsSet == .syn && web.tcpFlagsClear == .ack)
        #expect(config.rules[1].match.vlanID == 7 && config.rules[1].match.etherType == 0x86DD)
        #expect(loaded.portReferences.map(\.name) == ["lan"])
    }

    @Test func everyMistakeIsReportedWithItsPlaceAndAFix() {
        let found = errors(
            """
              defaultAction: dorp
              rules:
                - { name: a, match: { proto: tpc, dstPort: 80 }, action: allow }
                - { name: b, match: { dstPort: 99999, srcPrefix: 10.0.0.1/8 }, action: allow }
                - { name: c, match: { srcPrefix: 10.0.0.0/8, dstPrefix: "2001:db8::/32" }, action: drop }
                - { name: c, match: { proto: udp, tcpFlags: [syn, ackk], icmpType: 3 }, action: reject }
            """)
        #expect(found.contains("fw.yaml:5:18: error: spec.defaultAction: unknown action \"dorp\"; did you mean \"drop\"?"))
        #expect(found.contains("fw.yaml:7:34: error: spec.rules[0].match.proto: unknown value \"tpc\"; did you mean \"tcp\"?"))
        #expect(found.contains { $0.hasPrefix("fw.yaml:8:36: error: spec.rules[1].match.dstPort: \"99999\" is not a port") })
        #expect(found.contains { $0.hasPrefix("fw.yaml:8:54: error: spec.rules[1].match.srcPrefix: \"10.0.0.1/8\" is not an IPv4 or IPv6 prefix") })
        #expect(found.contains { $0.contains("spec.rules[1].match.dstPort: ports need a protocol") })
        #expect(found.contains { $0.hasPrefix("fw.yaml:9:25: error: spec.rules[2].match: the rule mixes IPv4 and IPv6 prefixes") })
        #expect(found.contains { $0.contains("spec.rules[3].name: rule \"c\" is declared twice") })
        #expect(found.contains { $0.contains("spec.rules[3].match.tcpFlags[1]: unknown TCP flag \"ackk\"; did you mean \"ack\"?") })
        #expect(found.contains { $0.contains("spec.rules[3].match.tcpFlags: TCP flags need proto tcp") })
        #expect(found.contains { $0.contains("spec.rules[3].match.icmpType: ICMP type and code need proto icmp or icmpv6") })
    }

    @Test func rejectFromTakesOneAddressPerFamily() throws {
        let loaded = try FirewallConfigLoader().parse(
            """
            apiVersion: nfv/v1
            kind: FirewallConfig
            metadata: { name: t }
            spec:
              defaultAction: reject
              rejectFrom: [192.0.2.1, "2001:db8::1"]
            """, file: "fw.yaml")
        #expect(loaded.configuration.rejectFrom == [IPv6Address(ipv4Mapped: IPv4Address(192, 0, 2, 1)), IPv6Address("2001:db8::1")!])
        let found = errors(
            """
              defaultAction: reject
              rejectFrom: [192.0.2.1, 192.0.2.2, gateway]
            """)
        #expect(found.contains { $0.hasPrefix("fw.yaml:6:27: error: spec.rejectFrom[1]: a second IPv4 address") }, "\(found)")
        #expect(
            found.contains { $0.hasPrefix("fw.yaml:6:38: error: spec.rejectFrom[2]: \"gateway\" is not an IPv4 or IPv6 address") },
            "\(found)")
    }

    /// A rule naming a port the chain does not have is an error of the configuration file,
    /// reported when the chain is loaded.
    @Test func unknownPortNamesAreCaughtAcrossFiles() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try
            "apiVersion: nfv/v1\nkind: FirewallConfig\nmetadata: { name: f }\nspec:\n  defaultAction: drop\n  rules:\n    - { name: r, match: { inPort: insde }, action: allow }\n"
            .write(to: directory.appendingPathComponent("fw.yaml"), atomically: true, encoding: .utf8)
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: c }
        spec:
          ports:
            - { name: inside, type: pcap-in, path: a.pcap }
            - { name: outside, type: pcap-out, path: b.pcap }
          stages:
            - { name: fw, vnf: firewall, config: fw.yaml }
            - { name: fw2, vnf: firewall }
            - { name: ttl, vnf: decrement-ttl, config: fw.yaml }
        """.write(to: directory.appendingPathComponent("chain.yaml"), atomically: true, encoding: .utf8)
        #expect { try LoadedChain.load(path: directory.appendingPathComponent("chain.yaml").path) } throws: { error in
            let text = "\(error)"
            return text.contains("fw.yaml:7:35: error: spec.rules[0].match.inPort: chain c has no port \"insde\"; did you mean \"inside\"?")
                && text.contains("spec.stages[1].config: a firewall stage needs a configuration file")
                && text.contains("spec.stages[2].config: a decrement-ttl stage takes no configuration")
        }
    }
}
