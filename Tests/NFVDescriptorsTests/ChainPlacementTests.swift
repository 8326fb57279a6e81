import NFVCatalog
import NFVDescriptors
import Testing

/// A chain across hosts (`spec.hosts`, `placement:`): each mistake at its line with a fix, and
/// each host's half as the data plane there will run it.
@Suite struct ChainPlacementTests {
    let loader = LoadedChain.descriptorLoader

    func chain(hosts: String = "[{ name: a, address: 192.0.2.1 }, { name: b, address: 192.0.2.2 }]", stages: [String], ports: Int = 2) -> String {
        """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: across }
        spec:
          hosts: \(hosts)
          overlay: { vni: 700 }
          ports:
            - { name: inside, type: tap, ifname: acr-in, namespace: acr-lan, address: 10.0.1.10/24, mtu: 1400 }
            - { name: outside, type: tap, ifname: acr-out, namespace: acr-wan, address: 198.51.100.1/30 }
        """ + (ports > 2 ? "\n    - { name: third, type: tap }" : "") + "\n  stages:\n"
            + stages.map { "    - { \($0) }" }.joined(separator: "\n") + "\n"
    }

    func errors(_ text: String) -> [String] {
        do {
            _ = try loader.parse(text, file: "across.yaml")
            return []
        } catch { return error.errors.map(\.description) }
    }

    @Test func mistakesNameTheirPlaceAndAFix() {
        let found =
            errors(chain(stages: ["name: s1, vnf: pass-through, placement: a", "name: s2, vnf: pass-through, placement: bb"]))
            + errors(chain(stages: ["name: s1, vnf: pass-through, placement: a", "name: s2, vnf: pass-through"]))
            + errors(
                chain(stages: [
                    "name: s1, vnf: pass-through, placement: a", "name: s2, vnf: pass-through, placement: b",
                    "name: s3, vnf: pass-through, placement: a",
                ]))
            + errors(chain(stages: ["name: s1, vnf: pass-through, placement: a", "name: s2, vnf: pass-through, placement: b"], ports: 3))
            + errors(
                chain(
                    hosts: "[{ name: a, address: 192.0.2.300 }, { name: b, address: 192.0.2.2 }, { name: b, address: 192.0.2.3 }]",
                    stages: ["name: s1, vnf: pass-through, placement: b"]))
        let expected = [
            "across.yaml:12:7: error: spec.stages[1].placement: host \"bb\" is not in spec.hosts; did you mean \"b\"?",
            "across.yaml:12:7: error: spec.stages[1].placement: stage s2 has no placement; a chain with spec.hosts places every stage; add placement: a",
            "across.yaml:13:7: error: spec.stages[2].placement: stage s3 goes back to host a after stages on b",
            "across.yaml:8:7: error: spec.ports: a chain across hosts has two ports",
            "across.yaml:5:31: error: spec.hosts[0].address: \"192.0.2.300\" is not an IP address",
            "across.yaml:5:87: error: spec.hosts[2].name: host \"b\" is listed twice",
        ]
        for line in expected {
            #expect(found.contains { $0.hasPrefix(line) }, "missing \(line) in \(found)")
        }
        let unplaced = errors(
            chain(stages: ["name: s1, vnf: pass-through, placement: a"]).replacingOccurrences(of: "  hosts:", with: "  # hosts:")
                .replacingOccurrences(of: "  overlay: { vni: 700 }\n", with: ""))
        #expect(unplaced.contains { $0.contains("stage s1 is placed on a but the chain has no spec.hosts") }, "\(unplaced)")
    }

    @Test func eachHostsHalfHasItsStagesAndATunnelTowardTheOther() throws {
        let text = chain(stages: [
            "name: s1, vnf: pass-through, placement: a", "name: s2, vnf: decrement-ttl, placement: b", "name: s3, vnf: pass-through, placement: b",
        ])
        let whole = try loader.parse(text, file: "/chains/across.yaml")
        let placement = try #require(whole.placement)
        #expect(placement.segments(of: whole.stages).map { $0.host.name } == ["a", "b"])

        let a = try loader.parse(try placement.half(of: whole, source: text, host: "a"), file: "a.yaml")
        #expect(a.name == "across" && a.placement == nil && a.stages.map(\.name) == ["s1"])
        #expect(a.ports.map(\.kind) == [.tap, .vxlan] && a.ports.map(\.name) == ["inside", "outside"])
        #expect(a.ports[0].tap == whole.ports[0].tap, "the first host keeps the chain's own first port as written")
        #expect(a.ports[1].tap?.vxlan == .init(vni: 700, remote: "192.0.2.2", local: "192.0.2.1"))
        #expect(a.ports[1].tap?.interfaceName == "x0o-across" && a.ports[1].tap?.namespace == "vx-x0o-across")
        #expect(a.ports[1].tap?.mtu == 1500, "the tunnel carries the largest port MTU")

        let b = try loader.parse(try placement.half(of: whole, source: text, host: "b"), file: "b.yaml")
        #expect(b.stages.map(\.name) == ["s2", "s3"] && b.ports.map(\.kind) == [.vxlan, .tap])
        #expect(b.ports[0].tap?.vxlan == .init(vni: 700, remote: "192.0.2.1", local: "192.0.2.2"))
        #expect(b.ports[0].tap?.interfaceName == "x0i-across" && b.ports[1].tap == whole.ports[1].tap)

        #expect(throws: DescriptorErrorList.self) { try placement.half(of: whole, source: text, host: "c") }
    }
}
