import Foundation
import NFVCatalog
import NFVDescriptors
import NFVFirewall
import NFVReplay
import NFVTestSupport
import Testing

@Suite struct ChainDescriptorLoaderTests {
    let loader = LoadedChain.descriptorLoader

    func errors(_ text: String) -> [DescriptorError] {
        do {
            _ = try loader.parse(text, file: "chains/test.yaml")
            return []
        } catch {
            return error.errors
        }
    }

    @Test func readsAValidChain() throws {
        let chain = try loader.parse(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: web-edge }
            spec:
              ports:
                - { name: in,  type: pcap-in,  path: in.pcap }
                - { name: out, type: pcap-out, path: /tmp/out.pcap }
              stages:
                - { name: ttl, vnf: decrement-ttl }
                - { name: noop, vnf: pass-through }
            """, file: "chains/web.yaml")
        #expect(chain.name == "web-edge")
        #expect(chain.ports.map(\.name) == ["in", "out"])
        #expect(chain.ports[0].receivePath == "chains/in.pcap")  // relative to the chain file
        #expect(chain.ports[0].transmitPath == nil)
        #expect(chain.ports[1].transmitPath == "/tmp/out.pcap")
        #expect(chain.stages.map(\.vnf) == ["decrement-ttl", "pass-through"])
        #expect(chain.stages[1].location == SourceLocation(file: "chains/web.yaml", line: 10, column: 7))
    }

    @Test func misspeltVNFKindPointsAtTheValueAndSuggestsTheKind() {
        let found = errors(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: c }
            spec:
              ports: []
              stages:
                - { name: ttl, vnf: decrement-tll }
            """)
        #expect(found.count == 1)
        #expect(
            found.first?.description
                == "chains/test.yaml:7:25: error: spec.stages[0].vnf: unknown VNF kind \"decrement-tll\"; did you mean \"decrement-ttl\"?")
    }

    @Test func reportsEveryErrorAtOnce() {
        let found = errors(
            """
            apiVersion: nfv/v2
            kind: Chian
            metadata: { name: Bad_Name }
            spec:
              prots: []
              stages:
                - { name: a, vnf: pass-through }
                - { name: a, vnf: pass-through, confg: x.yaml }
                - { name: rx, vnf: pass-through }
                - { vnf: frobnicate }
            """)
        let text = found.map(\.description)
        #expect(text.contains("chains/test.yaml:1:13: error: apiVersion: unsupported API version \"nfv/v2\"; use \"nfv/v1\""))
        #expect(text.contains("chains/test.yaml:2:7: error: kind: expected kind \"Chain\", found \"Chian\"; did you mean \"Chain\"?"))
        #expect(text.contains { $0.hasPrefix("chains/test.yaml:3:19: error: metadata.name: \"Bad_Name\" is not a valid chain name") })
        #expect(text.contains("chains/test.yaml:5:3: error: spec.prots: unknown field; did you mean \"ports\"?"))
        #expect(text.contains("chains/test.yaml:5:3: error: spec.ports: required field is missing; add \"ports:\" to this mapping"))
        #expect(text.contains("chains/test.yaml:8:37: error: spec.stages[1].confg: unknown field; did you mean \"config\"?"))
        #expect(text.contains { $0.hasPrefix("chains/test.yaml:8:15: error: spec.stages[1].name: stage \"a\" is declared twice") })
        #expect(text.contains { $0.hasPrefix("chains/test.yaml:9:15: error: spec.stages[2].name: \"rx\" is reserved") })
        #expect(text.contains("chains/test.yaml:10:7: error: spec.stages[3].name: required field is missing; add \"name:\" to this mapping"))
        #expect(text.contains { $0.hasPrefix("chains/test.yaml:10:14: error: spec.stages[3].vnf: unknown VNF kind \"frobnicate\"; use ") })
        #expect(found.count == 10)
    }

    @Test func yamlSyntaxErrorHasItsLocation() {
        let found = errors("apiVersion: nfv/v1\nkind: [Chain\n")
        #expect(found.count == 1)
        #expect(found.first.map { $0.location.line >= 2 && $0.message.hasPrefix("YAML syntax error") } == true)
    }

    @Test func capturePortNeedsAPathAndTypesAreChecked() {
        let found = errors(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: c }
            spec:
              ports:
                - { name: in, type: pcap-in }
                - { name: out, type: pcap_out, path: o.pcap }
            """)
        #expect(
            found.map(\.description) == [
                "chains/test.yaml:6:7: error: spec.ports[0].path: a pcap-in port needs a capture file; add \"path: FILE.pcap\" (relative to the chain file)",
                "chains/test.yaml:7:26: error: spec.ports[1].type: unknown port type \"pcap_out\"; did you mean \"pcap-out\"?",
            ])
    }

    @Test func pcapPortsTakeRxAndTx() throws {
        let chain = try loader.parse(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: two-way }
            spec:
              ports:
                - { name: inside,  type: pcap, rx: inside-rx.pcap, tx: inside-tx.pcap }
                - { name: outside, type: pcap, tx: outside-tx.pcap }
            """, file: "c/two.yaml")
        #expect(chain.ports.map(\.receivePath) == ["c/inside-rx.pcap", nil])
        #expect(chain.ports.map(\.transmitPath) == ["c/inside-tx.pcap", "c/outside-tx.pcap"])
        let found = errors(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: c }
            spec:
              ports:
                - { name: a, type: pcap }
                - { name: b, type: pcap, path: x.pcap, rx: y.pcap }
                - { name: c, type: pcap-in, path: x.pcap, tx: z.pcap }
            """)
        #expect(
            found.map(\.description) == [
                "chains/test.yaml:6:7: error: spec.ports[0]: a pcap port needs \"rx\", \"tx\" or both; add \"rx: FILE.pcap\" (frames arriving) and/or \"tx: FILE.pcap\" (frames leaving)",
                "chains/test.yaml:7:30: error: spec.ports[1].path: a pcap port takes \"rx\" and \"tx\", not \"path\"; write \"rx: FILE.pcap\" for arriving frames, \"tx: FILE.pcap\" for leaving ones",
                "chains/test.yaml:8:47: error: spec.ports[2].tx: a pcap-in port takes \"path\", not \"tx\"; use \"path:\", or \"type: pcap\" with rx/tx",
            ])
    }

    @Test func missingFileIsAnError() {
        #expect { try loader.load(path: "/nonexistent/chain.yaml") } throws: { error in
            "\(error)" == "/nonexistent/chain.yaml:1:1: error: the file does not exist"
        }
    }

    /// Every benchmark chain in bench/workloads/ loads with its configurations (nfv-bench and
    /// bench/callgrind.sh run them).
    @Test func everyBenchmarkChainLoads() throws {
        let directory = Fixtures.root.appendingPathComponent("bench/workloads")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix("-chain.yaml") }
        #expect(files.count >= 5)
        for file in files {
            let loaded = try LoadedChain.load(path: directory.appendingPathComponent(file).path)
            #expect(loaded.configurations.count == loaded.descriptor.stages.count, "\(file)")
        }
    }

    /// Every chain shipped in chains/ must validate with the configurations it references, its
    /// captures present; every configuration in vnf-configs/ must validate by its kind.
    @Test func everyShippedFileValidates() throws {
        let directory = Fixtures.root.appendingPathComponent("chains")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 4)
        for file in files {
            let chain = try LoadedChain.load(path: directory.appendingPathComponent(file).path).descriptor
            for input in chain.ports.compactMap(\.receivePath) {
                #expect(FileManager.default.fileExists(atPath: input), "\(file): \(input)")
            }
        }
        let configs = Fixtures.root.appendingPathComponent("vnf-configs")
        let configFiles = try FileManager.default.contentsOfDirectory(atPath: configs.path).filter { $0.hasSuffix(".yaml") }
        #expect(configFiles.count >= 2)
        for file in configFiles {
            let path = configs.appendingPathComponent(file).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            if text.contains("kind: FirewallConfig") {
                _ = try FirewallConfigLoader().load(path: path)
            } else if text.contains("kind: RouterConfig") {
                _ = try RouterConfigLoader().load(path: path)
            } else if text.contains("kind: NatConfig") {
                _ = try NATConfigLoader().load(path: path)
            } else if text.contains("kind: LoadBalancerConfig") {
                _ = try LoadBalancerConfigLoader().load(path: path)
            } else if text.contains("kind: SwitchConfig") {
                _ = try SwitchConfigLoader().load(path: path)
            } else if text.contains("kind: PolicerConfig") {
                _ = try PolicerConfigLoader().load(path: path)
            } else {
                Issue.record("\(file): no test loader for its kind yet")
            }
        }
    }

    @Test func suggestionsFindNearMissesOnly() {
        #expect(Suggestion.closest(to: "stgaes", in: ["ports", "stages"]) == "stages")
        #expect(Suggestion.closest(to: "zzzz", in: ["ports", "stages"]) == nil)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
    }
}

@Suite struct ChainRestartAndWorkersTests {
    @Test func workersAndRestartPolicyAreRead() throws {
        let chain = try LoadedChain.descriptorLoader.parse(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: c }
            spec:
              ports: []
              workers: 2
              restart: { policy: on-failure, limit: 3 }
            """, file: "chains/c.yaml")
        #expect(chain.workers == 2)
        #expect(chain.restart == ChainDescriptor.RestartPolicy(mode: .onFailure, limit: 3))
        let defaults = try LoadedChain.descriptorLoader.parse(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: c }
            spec: { ports: [] }
            """, file: "chains/c.yaml")
        #expect(defaults.workers == nil && defaults.restart == ChainDescriptor.RestartPolicy(mode: .always, limit: 5))
    }
}
