import Foundation
import NFVCatalog
import NFVOrchestrator
import NFVReplay
import NFVTestSupport
import Testing

/// What `plan` says for each kind of change, and its exit codes through the real binary.
@Suite struct DeploymentPlanTests {
    /// A chain with a firewall and a NAT in a temporary folder; `edit` changes the files.
    struct Files {
        let directory: URL
        var chain = """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: planned }
            spec:
              ports:
                - { name: inside,  type: tap, ifname: pl-in0,  namespace: pl-client, address: 10.0.1.2/24 }
                - { name: outside, type: tap, ifname: pl-out0, namespace: pl-server, address: 198.51.100.1/30 }
              stages:
                - { name: fw,  vnf: firewall, config: fw.yaml }
                - { name: nat, vnf: nat,      config: nat.yaml }

            """
        var firewall: String
        var nat: String

        init() throws {
            directory = try Fixtures.temporaryDirectory()
            firewall = try String(contentsOf: Fixtures.root.appendingPathComponent("vnf-configs/edge-firewall.yaml"), encoding: .utf8)
            nat = try String(contentsOf: Fixtures.root.appendingPathComponent("vnf-configs/edge-nat.yaml"), encoding: .utf8)
        }

        var chainPath: String { directory.appendingPathComponent("chain.yaml").path }

        func load() throws -> LoadedChain {
            try chain.write(toFile: chainPath, atomically: true, encoding: .utf8)
            try firewall.write(to: directory.appendingPathComponent("fw.yaml"), atomically: true, encoding: .utf8)
            try nat.write(to: directory.appendingPathComponent("nat.yaml"), atomically: true, encoding: .utf8)
            return try LoadedChain.load(path: chainPath)
        }
    }

    @Test func eachKindOfChangeIsClassified() throws {
        var files = try Files()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let deployed = try files.load()

        let create = DeploymentPlan.make(desired: deployed, current: nil)
        #expect(create.action == .create && create.exitCode == 2)

        // Comments and layout do not count.
        files.firewall = "# a comment\n" + files.firewall
        let same = DeploymentPlan.make(desired: try files.load(), current: deployed)
        #expect(same.action == .unchanged && same.exitCode == 0 && same.changes.isEmpty)

        // A firewall rule: applied live.
        files.firewall = files.firewall.replacingOccurrences(
            of: "    - { name: allow-web,",
            with: "    - { name: block-8080,     match: { proto: tcp, dstPort: 8080 }, action: drop }\n    - { name: allow-web,")
        let rule = DeploymentPlan.make(desired: try files.load(), current: deployed)
        #expect(rule.action == .updateInPlace && rule.exitCode == 2)
        #expect(rule.changes == ["stage fw (firewall): rules added: block-8080 (applied live, connections kept)"])

        // The connection table's size: restart, and it says why.
        let ruleOnly = try files.load()
        files.firewall = files.firewall.replacingOccurrences(of: "capacity: 65536", with: "capacity: 1024")
        let capacity = DeploymentPlan.make(desired: try files.load(), current: ruleOnly)
        #expect(capacity.action == .updateWithRestart)
        #expect(capacity.changes == ["stage fw (firewall): connections.capacity: 65536 -> 1024 resizes the connection table (restart)"])

        // The flow cache's size: restart (each worker sizes its cache at start).
        let cached = try files.load()
        files.chain = files.chain.replacingOccurrences(of: "spec:\n", with: "spec:\n  flowCache: 1024\n")
        let cache = DeploymentPlan.make(desired: try files.load(), current: cached)
        #expect(cache.action == .updateWithRestart)
        #expect(cache.changes == ["flowCache: default -> 1024 (restart: the cache is sized at start)"], "\(cache.changes)")
        files.chain = files.chain.replacingOccurrences(of: "  flowCache: 1024\n", with: "")

        // NAT configuration, a port's address, a new stage: restart.
        files.firewall = try String(contentsOf: Fixtures.root.appendingPathComponent("vnf-configs/edge-firewall.yaml"), encoding: .utf8)
        files.nat = files.nat.replacingOccurrences(of: "udpTimeout: 300s", with: "udpTimeout: 600s")
        let nat = DeploymentPlan.make(desired: try files.load(), current: deployed)
        #expect(
            nat.action == .updateWithRestart && nat.changes.count == 1
                && nat.changes[0].hasPrefix("stage nat (nat): ports, filtering, hairpinning, the mapping table size, timeouts"))
        files.nat = try String(contentsOf: Fixtures.root.appendingPathComponent("vnf-configs/edge-nat.yaml"), encoding: .utf8)
        // A NAT forward: applied live.
        let forwardLine = "    - { name: web-in, proto: tcp, external: \"198.51.100.2:8080\", internal: \"10.0.1.10:80\" }\n"
        #expect(files.nat.contains(forwardLine))
        files.nat = files.nat.replacingOccurrences(
            of: forwardLine, with: forwardLine + "    - { name: ssh-in, proto: tcp, external: \"198.51.100.2:2222\", internal: \"10.0.1.10:22\" }\n")
        let forward = DeploymentPlan.make(desired: try files.load(), current: deployed)
        #expect(forward.action == .updateInPlace)
        #expect(forward.changes == ["stage nat (nat): forwards added: ssh-in (applied live, mappings kept)"])
        files.nat = try String(contentsOf: Fixtures.root.appendingPathComponent("vnf-configs/edge-nat.yaml"), encoding: .utf8)
        files.chain = files.chain.replacingOccurrences(of: "address: 198.51.100.1/30", with: "address: 198.51.100.2/30")
        let port = DeploymentPlan.make(desired: try files.load(), current: deployed)
        #expect(
            port.changes == [
                "port outside: tap pl-out0 netns pl-server 198.51.100.1/30 mtu 1500 -> tap pl-out0 netns pl-server 198.51.100.2/30 mtu 1500 (restart)"
            ])
        files.chain += "    - { name: ttl, vnf: decrement-ttl }\n"
        let stage = DeploymentPlan.make(desired: try files.load(), current: deployed)
        #expect(stage.action == .updateWithRestart && stage.changes.contains { $0.hasPrefix("stages: fw (firewall) -> nat (nat) => ") })

        let delete = DeploymentPlan.make(desired: nil, current: deployed)
        #expect(delete.action == .delete && delete.exitCode == 2)
    }

    /// Router routes change live; its interfaces need a restart.
    @Test func routerRoutesAreLiveAndInterfacesAreNot() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let chainPath = directory.appendingPathComponent("chain.yaml").path
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: routed }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: rt-in0 }
            - { name: outside, type: tap, ifname: rt-out0 }
          stages:
            - { name: rtr, vnf: router, config: router.yaml }

        """.write(toFile: chainPath, atomically: true, encoding: .utf8)
        let original = try String(contentsOf: Fixtures.root.appendingPathComponent("vnf-configs/edge-router.yaml"), encoding: .utf8)
        func load(_ router: String) throws -> LoadedChain {
            try router.write(to: directory.appendingPathComponent("router.yaml"), atomically: true, encoding: .utf8)
            return try LoadedChain.load(path: chainPath)
        }
        let deployed = try load(original)
        let routes = DeploymentPlan.make(
            desired: try load(
                original.replacingOccurrences(
                    of: "    - { dst: 192.0.2.0/24, via: 10.0.1.254 }\n", with: "")), current: deployed)
        #expect(routes.action == .updateInPlace)
        #expect(routes.changes == ["stage rtr (router): routes removed: 192.0.2.0/24 via 10.0.1.254 (applied live, neighbours kept)"])
        let mtu = DeploymentPlan.make(desired: try load(original.replacingOccurrences(of: "mtu: 1500", with: "mtu: 1400")), current: deployed)
        #expect(mtu.action == .updateWithRestart)
        #expect(mtu.changes.first?.hasPrefix("stage rtr (router): interfaces changed") == true, "\(mtu.changes)")
    }

    /// `nfv-orch plan` with no daemon and nothing deployed: 2 (create); a broken file: 1.
    @Test func planExitCodesWithoutADaemon() throws {
        let files = try Files()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        _ = try files.load()
        let environment = [
            "NFV_ORCH_STATE_DIR": files.directory.appendingPathComponent("state").path,
            "NFV_ORCH_SOCKET": files.directory.appendingPathComponent("none.sock").path,
            "NFV_ORCH_RUN_DIR": files.directory.path,
        ]
        let create = try CommandRunner.run("nfv-orch", ["plan", files.chainPath], environment: environment)
        #expect(create.status == 2 && create.standardOutput.contains("chain planned: create"), "\(create)")
        let diff = try CommandRunner.run("nfv-orch", ["diff", files.chainPath], environment: environment)
        #expect(diff.status == 2, "diff is plan: \(diff)")
        try files.chain.replacingOccurrences(of: "vnf: nat", with: "vnf: natt").write(toFile: files.chainPath, atomically: true, encoding: .utf8)
        let broken = try CommandRunner.run("nfv-orch", ["plan", files.chainPath], environment: environment)
        #expect(broken.status == 1 && broken.standardError.contains("chain.yaml:10:25: error: spec.stages[1].vnf"), "\(broken)")
    }

    /// A mistyped chain file is named as such, with the closest file, by every command that
    /// takes a file or a chain name (never sent to the daemon as a chain name).
    @Test func aMistypedChainFileIsNamedWithTheClosestOne() throws {
        let environment = ["NFV_ORCH_SOCKET": "/nonexistent/none.sock"]
        for command in [["graph"], ["flows"], ["undeploy"], ["trace"]] {
            var arguments = command + ["chains/edge-gatway.yaml"]
            if command == ["trace"] { arguments.append("in_port=inside,udp") }
            let run = try CommandRunner.run("nfv-orch", arguments, environment: environment)
            #expect(run.status == 1, "\(command): \(run)")
            #expect(
                run.standardError.contains("chains/edge-gatway.yaml: no such chain file; did you mean chains/edge-gateway.yaml?"),
                "\(command): \(run.standardError)")
        }
        let far = try CommandRunner.run("nfv-orch", ["graph", "nowhere/chain.yaml"], environment: environment)
        #expect(far.status == 1 && far.standardError.contains("nowhere/chain.yaml: no such chain file (no directory"), "\(far)")
    }

    /// The chain as a picture: Graphviz draws ports, stages and both directions of the path.
    @Test func graphDrawsPortsStagesAndThePath() throws {
        let dot = try CommandRunner.run("nfv-orch", ["graph", "chains/live-firewall.yaml"])
        #expect(dot.status == 0)
        #expect(dot.standardOutput.contains("\"port:inside\" -> \"stage:fw\";"))
        #expect(dot.standardOutput.contains("\"stage:fw\" -> \"port:outside\";"))
        #expect(dot.standardOutput.contains("\"port:outside\" -> \"stage:fw\" [color=\"#777777\", style=dashed"))
        let svg = try CommandRunner.run("nfv-orch", ["graph", "chains/live-firewall.yaml", "--format", "svg"])
        #expect(svg.status == 0, "Graphviz must be installed (make installs graphviz): \(svg.standardError)")
        #expect(svg.standardOutput.contains("<svg"))
        for text in ["port inside", "port outside", "TAP nfv&#45;in0", "fw", "(firewall)", "port:inside&#45;&gt;stage:fw"] {
            #expect(svg.standardOutput.contains(text), "the SVG shows \(text)")
        }
        let json = try CommandRunner.run("nfv-orch", ["graph", "chains/live-firewall.yaml", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
        #expect((object?["edges"] as? [[String: Any]])?.count == 4)
    }

    /// A switch chain: every port goes into the switch and comes out of it (none floats).
    @Test func graphOfASwitchChainConnectsEveryPort() throws {
        let json = try CommandRunner.run("nfv-orch", ["graph", "chains/lab-switch.yaml", "--format", "json"])
        let edges = try #require(
            (try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])?["edges"] as? [[String: String]])
        for port in ["a", "b", "c"] {
            #expect(edges.contains { $0["from"] == "port:\(port)" && $0["to"] == "stage:switch" && $0["direction"] == "in" }, "\(port) in")
            #expect(edges.contains { $0["from"] == "stage:switch" && $0["to"] == "port:\(port)" && $0["direction"] == "out" }, "\(port) out")
        }
    }

    /// Service paths: each path its own colour and only its own stages, a legend, and what
    /// happens to unmatched traffic.
    @Test func graphOfServicePathsDrawsEachPathAlone() throws {
        let json = try CommandRunner.run("nfv-orch", ["graph", "chains/edge-paths.yaml", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let edges = try #require(object["edges"] as? [[String: String]])
        let web = edges.filter { $0["path"] == "web" && $0["direction"] == "forward" }.map { "\($0["from"]!)>\($0["to"]!)" }
        #expect(web == ["port:inside>stage:fw", "stage:fw>stage:router", "stage:router>stage:nat", "stage:nat>port:outside"], "\(web)")
        #expect(!edges.contains { $0["path"] == "web" && ($0["from"] == "stage:ttl" || $0["to"] == "stage:ttl") }, "web skips ttl")
        #expect(edges.contains { $0["path"] == "other" && $0["to"] == "stage:ttl" })
        #expect(object["unmatched"] as? String == "drop")
        let dot = try CommandRunner.run("nfv-orch", ["graph", "chains/edge-paths.yaml"]).standardOutput
        #expect(dot.contains("cluster_legend") && dot.contains("web: inside -> outside, tcp,tp_dst=80, priority 100"), "\(dot)")
        #expect(dot.contains("traffic no path matches: dropped"))
        let svg = try CommandRunner.run("nfv-orch", ["graph", "chains/edge-paths.yaml", "--format", "svg"])
        #expect(svg.status == 0 && svg.standardOutput.contains("<svg"), "\(svg.standardError)")
        // The README's picture is what the command draws today.
        let picture = try String(contentsOf: Fixtures.root.appendingPathComponent("docs/edge-paths.svg"), encoding: .utf8)
        #expect(
            svg.standardOutput == picture,
            "docs/edge-paths.svg is stale: nfv-orch graph chains/edge-paths.yaml --format svg > docs/edge-paths.svg")
    }
}

/// nfv-orch trace and flows on a chain file (no daemon): what ofproto/trace would say.
@Suite struct SwitchToolsTests {
    @Test func traceShowsTheFlowAndTheOutcome() throws {
        let telnet = try CommandRunner.run("nfv-orch", ["trace", "chains/lab-switch.yaml", "in_port=a,tcp,nw_dst=10.224.0.2,tp_dst=23"])
        #expect(telnet.status == 0)
        #expect(
            telnet.standardOutput == """
                packet: tcp,in_port=a,nw_dst=10.224.0.2,tp_dst=23
                table 0: matched cookie=0x0, table=0, priority=100,tcp,tp_dst=23 actions=drop
                  dropped by the flow (switch_flow_drop)

                """)
        let dns = try CommandRunner.run("nfv-orch", ["trace", "chains/lab-switch.yaml", "in_port=b,udp,tp_dst=53"])
        #expect(dns.standardOutput.contains("priority=0 actions=NORMAL") && dns.standardOutput.contains("L2 switching (NORMAL)"))
        let typo = try CommandRunner.run("nfv-orch", ["trace", "chains/lab-switch.yaml", "in_port=a,tcp,tp_dts=23"])
        #expect(typo.status == 1 && typo.standardError.contains("unknown field tp_dts; did you mean tp_dst?"))
        // A chain with service paths: the trace names the path and the stages it passes.
        let web = try CommandRunner.run("nfv-orch", ["trace", "chains/edge-paths.yaml", "in_port=inside,tcp,nw_dst=198.51.100.1,tp_dst=80"])
        #expect(web.standardOutput.contains("actions=chain:web\n  through service path web\n  stages: fw -> router -> nat\n"), "\(web)")
        let reply = try CommandRunner.run("nfv-orch", ["trace", "chains/edge-paths.yaml", "in_port=outside,udp,tp_src=53"])
        #expect(reply.standardOutput.contains("stages: nat -> router -> ttl -> fw"), "\(reply)")
        let flows = try CommandRunner.run("nfv-orch", ["flows", "chains/lab-switch.yaml"])
        #expect(
            flows.standardOutput == " cookie=0x0, table=0, priority=100,tcp,tp_dst=23 actions=drop\n cookie=0x0, table=0, priority=0 actions=NORMAL\n"
        )
    }
}
