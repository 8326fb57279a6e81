import Foundation
import NFVCatalog
import NFVDescriptors
import NFVQoS
import NFVTestSupport
import Testing

/// `qos:` on a chain and on a service path: the policer stages it adds, where, on which port's
/// traffic, and each mistake at its line with a fix.
@Suite struct QoSSectionTests {
    func load(_ spec: String, file: String = "chain.yaml") throws -> LoadedChain {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let policers = Fixtures.root.appendingPathComponent("vnf-configs").path
        let url = directory.appendingPathComponent(file)
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: qos }
        spec:
          ports:
            - { name: inside, type: pcap, rx: in.pcap }
            - { name: outside, type: pcap, rx: out.pcap }
        \(spec.replacingOccurrences(of: "POLICERS", with: policers))
        """.write(to: url, atomically: true, encoding: .utf8)
        return try LoadedChain.load(path: url.path)
    }

    func errors(_ spec: String) -> [String] {
        do {
            _ = try load(spec)
            return []
        } catch let error as DescriptorErrorList {
            return error.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func aChainsSectionPolicesEachDirectionWhereItEnters() throws {
        let loaded = try load(
            """
              qos: { forward: POLICERS/edge-policer.yaml, reverse: POLICERS/access-policer.yaml }
              stages:
                - { name: fw, vnf: firewall, config: \(Fixtures.root.path)/vnf-configs/edge-firewall.yaml }
            """)
        // Forward traffic meets its policer first; reverse traffic, which runs the stages
        // backwards, meets its own first too.
        #expect(loaded.descriptor.stages.map(\.name) == ["qos-forward", "fw", "qos-reverse"])
        guard case .policer(let forward) = loaded.configurations["qos-forward"],
            case .policer(let reverse) = loaded.configurations["qos-reverse"]
        else {
            Issue.record("the qos stages are policers")
            return
        }
        #expect(forward.ingressPort == 0 && forward.marker == .twoRate && forward.committedRate == 100_000_000)
        #expect(reverse.ingressPort == 1 && reverse.unit == .packets)
        #expect(loaded.descriptor.stages[0].declaredBy == "spec.qos.forward")
    }

    @Test func aPathsSectionJoinsItsPathOnly() throws {
        let loaded = try load(
            """
              qos: { forward: POLICERS/edge-policer.yaml }
              stages:
                - { name: ttl, vnf: decrement-ttl }
                - { name: pass, vnf: pass-through }
              paths:
                - { name: web, from: inside, to: outside, match: "tcp,tp_dst=80", through: [ttl], qos: { forward: POLICERS/access-policer.yaml, reverse: POLICERS/access-policer.yaml } }
                - { name: other, from: inside, to: outside, through: [pass] }
            """)
        #expect(loaded.descriptor.stages.map(\.name) == ["qos-forward", "qos-web-forward", "ttl", "pass", "qos-web-reverse"])
        #expect(loaded.descriptor.paths[0].through == ["qos-forward", "qos-web-forward", "ttl", "qos-web-reverse"])
        #expect(loaded.descriptor.paths[1].through == ["qos-forward", "pass"])
        if case .policer(let reverse) = loaded.configurations["qos-web-reverse"] {
            #expect(reverse.ingressPort == 1)
        } else {
            Issue.record("qos-web-reverse is a policer")
        }
    }

    @Test func mistakesNameTheFieldAndAFix() {
        #expect(errors("  qos: { forward: nowhere.yaml }\n  stages: []").first?.contains("spec.qos.forward: policer configuration") == true)
        #expect(errors("  qos: {}\n  stages: []").first?.contains("spec.qos: a qos section needs a policer for at least one direction") == true)
        #expect(errors("  qos: { forwards: x.yaml }\n  stages: []").first?.contains("did you mean \"forward\"?") == true)
        let asymmetric = errors(
            """
              stages:
                - { name: pass, vnf: pass-through }
              paths:
                - { name: up, from: inside, to: outside, through: [pass], symmetric: false, qos: { reverse: POLICERS/access-policer.yaml } }
            """)
        #expect(asymmetric.first?.contains("spec.paths[0].qos.reverse: path up is not symmetric") == true, "\(asymmetric)")
        let clash = errors(
            """
              qos: { forward: POLICERS/edge-policer.yaml }
              stages:
                - { name: qos-forward, vnf: pass-through }
            """)
        #expect(clash.first?.contains("stage name \"qos-forward\" is taken by the stage spec.qos.forward adds") == true, "\(clash)")
        // A policer file with a mistake is reported in that file.
        let wrongKind = errors(
            """
              qos: { forward: POLICERS/edge-firewall.yaml }
              stages: []
            """)
        #expect(!wrongKind.isEmpty)
    }

    @Test func aTAPPortsShaperReadsWithDefaultsAndErrors() throws {
        let loader = LoadedChain.descriptorLoader
        func chain(_ shaper: String) throws(DescriptorErrorList) -> ChainDescriptor {
            try loader.parse(
                """
                apiVersion: nfv/v1
                kind: Chain
                metadata: { name: shaped }
                spec:
                  ports:
                    - { name: a, type: tap }
                    - { name: b, type: tap, shaper: \(shaper) }
                  stages: []
                """, file: "shaped.yaml")
        }
        let shaper = try #require(try chain("{ rate: 50M }").ports[1].tap?.shaper)
        #expect(shaper == ShaperConfiguration(rate: 50_000_000, burst: 62_500, queueLimit: 256))
        #expect(
            try chain("{ rate: 1G, burst: 200000, queue: 64 }").ports[1].tap?.shaper
                == ShaperConfiguration(rate: 1_000_000_000, burst: 200_000, queueLimit: 64))
        // A slow rate still lets two full frames through at once.
        #expect(try chain("{ rate: 100k }").ports[1].tap?.shaper?.burst == 3028)
        func errors(_ shaper: String) -> [String] {
            do {
                _ = try chain(shaper)
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors("{ rate: fast }").first?.contains("spec.ports[1].shaper.rate: \"fast\" is not a rate of at least 8k") == true)
        #expect(errors("{ rate: 10M, queue: 4096 }").first?.contains("spec.ports[1].shaper.queue: 4096 is out of range") == true)
        #expect(errors("{ burst: 3000 }").first?.contains("spec.ports[1].shaper.rate: required field is missing") == true)
        #expect(errors("{ rate: 10M, limit: 5 }").first?.contains("unknown field") == true)
    }
}
