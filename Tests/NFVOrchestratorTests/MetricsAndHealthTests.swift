import Foundation
import NFVTestSupport
import Testing

/// /metrics and load-balancer health through the real binaries, with two chains deployed (a
/// load balancer with health checks, and a switch): each metric family appears once whatever
/// the number of chains (promtool and Python's prometheus_client read it), switch flows have
/// counters, and a backend whose server is killed shows as down in status, events and
/// /metrics within the health check's fall time (plus the daemon's half-second look).
@Suite(.serialized) struct MetricsAndHealthTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func metricsFamiliesOnceAndBackendHealth() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let directory = daemon.directory
        let (balancer, switching) = ("lbm-\(suffix)", "swm-\(suffix)")
        let (client, server) = ("nfvt-mc\(suffix)", "nfvt-ms\(suffix)")
        func orch(_ arguments: String...) throws -> CommandResult { try daemon.orch(arguments) }
        var servers: [String: Process] = [:]
        defer {
            for process in servers.values { HostCommand.kill(process) }
            _ = try? orch("undeploy", balancer, "--force")
            _ = try? orch("undeploy", switching, "--force")
            daemon.remove()
        }
        try """
        apiVersion: nfv/v1
        kind: LoadBalancerConfig
        metadata: { name: lb }
        spec:
          clients: inside
          backends: outside
          services:
            - name: web
              vip: 10.227.0.100:80/tcp
              mode: nat
              backends:
                - { name: one, address: "10.227.0.2:8080" }
                - { name: two, address: "10.227.0.3:8080" }
              healthCheck: { type: tcp, interval: 200ms, timeout: 100ms, fall: 2, rise: 2 }
        """.write(to: directory.appendingPathComponent("lb.yaml"), atomically: true, encoding: .utf8)
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: \(balancer) }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: nfvtmi\(suffix), namespace: \(client), address: 10.227.0.1/24 }
            - { name: outside, type: tap, ifname: nfvtmo\(suffix), namespace: \(server), address: 10.227.0.2/24 }
          stages:
            - { name: lb, vnf: load-balancer, config: lb.yaml }
        """.write(to: directory.appendingPathComponent("lb-chain.yaml"), atomically: true, encoding: .utf8)
        try """
        apiVersion: nfv/v1
        kind: SwitchConfig
        metadata: { name: sw }
        spec:
          ports: [{ port: a }, { port: b }]
          flows: ["priority=10,icmp,actions=normal", "priority=0,actions=normal"]
        """.write(to: directory.appendingPathComponent("sw.yaml"), atomically: true, encoding: .utf8)
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: \(switching) }
        spec:
          ports:
            - { name: a, type: tap, ifname: nfvtma\(suffix), namespace: nfvt-ma\(suffix), address: 10.227.1.1/24 }
            - { name: b, type: tap, ifname: nfvtmb\(suffix), namespace: nfvt-mb\(suffix), address: 10.227.1.2/24 }
          stages:
            - { name: sw, vnf: switch, config: sw.yaml }
        """.write(to: directory.appendingPathComponent("sw-chain.yaml"), atomically: true, encoding: .utf8)
        for file in ["lb-chain.yaml", "sw-chain.yaml"] {
            let deployed = try orch("deploy", directory.appendingPathComponent(file).path, "--wait")
            try #require(deployed.status == 0, "\(deployed)")
        }
        _ = try HostCommand.run(["ip", "netns", "exec", "nfvt-ma\(suffix)", "ping", "-c", "2", "-i", "0.2", "10.227.1.2"])

        // Both backends listen: both up.
        try HostCommand.check(["ip", "netns", "exec", server, "ip", "addr", "add", "10.227.0.3/24", "dev", "nfvtmo\(suffix)"])
        for (name, address) in [("one", "10.227.0.2"), ("two", "10.227.0.3")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["ip", "netns", "exec", server, "python3", "-m", "http.server", "8080", "--bind", address]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            servers[name] = process
        }
        func status() throws -> String { try orch("status", balancer).standardOutput }
        var text = ""
        for _ in 0..<50 where !(text.contains("/web/one 10.227.0.2:8080: up") && text.contains("/web/two 10.227.0.3:8080: up")) {
            usleep(100_000)
            text = try status()
        }
        #expect(text.contains("backend:    lb/web/two 10.227.0.3:8080: up"), "\(text)")

        // Kill backend two's server: down within fall (2 x 200 ms) and the daemon's look.
        let second = servers.removeValue(forKey: "two")
        HostCommand.kill(try #require(second))
        let killed = Date()
        while Date().timeIntervalSince(killed) < 3, !(try status()).contains("/web/two 10.227.0.3:8080: down") { usleep(50_000) }
        let took = Date().timeIntervalSince(killed)
        text = try status()
        #expect(text.contains("backend:    lb/web/two 10.227.0.3:8080: down (health checks fail)"), "\(text)")
        #expect(took < 1.5, "down after \(took) s")
        let events = try orch("events").standardOutput
        #expect(events.contains("backend-down") && events.contains("backend two (10.227.0.3:8080) up -> down"), "\(events)")

        // A TAP set down by the operator: an event, status and /metrics say so; set up again,
        // the chain forwards again.
        let (aSide, aDevice) = ("nfvt-ma\(suffix)", "nfvtma\(suffix)")
        func ping() throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", aSide, "ping", "-c", "1", "-W", "1", "10.227.1.2"]).status == 0
        }
        try HostCommand.check(["ip", "netns", "exec", aSide, "ip", "link", "set", aDevice, "down"])
        var linkDown = ""
        for _ in 0..<40 where !linkDown.contains("LINK DOWN") {
            usleep(100_000)
            linkDown = try orch("status", switching).standardOutput
        }
        #expect(linkDown.contains("a (tap nfvtma\(suffix) in \(aSide)) LINK DOWN"), "\(linkDown)")
        // Traffic toward the down side: the data plane's writes to the TAP fail meanwhile.
        _ = try HostCommand.run(["ip", "netns", "exec", "nfvt-mb\(suffix)", "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.227.1.1"])
        #expect(try orch("events", switching).standardOutput.contains("port-down"))
        let downMetrics = try HostCommand.run(["curl", "-sf", "--unix-socket", daemon.socketPath, "http://nfv-orch/metrics"]).output
        #expect(downMetrics.contains("nfv_port_link_up{chain=\"\(switching)\",port=\"a\",interface=\"\(aDevice)\"} 0"), "\(downMetrics)")
        try HostCommand.check(["ip", "netns", "exec", aSide, "ip", "link", "set", aDevice, "up"])
        var linkUp = linkDown
        for _ in 0..<40 where linkUp.contains("LINK DOWN") {
            usleep(100_000)
            linkUp = try orch("status", switching).standardOutput
        }
        let upEvents = try orch("events", switching).standardOutput
        #expect(!linkUp.contains("LINK DOWN") && upEvents.contains("port-up"), "\(linkUp)\n\(upEvents)")
        var back = false
        for _ in 0..<5 where !back { back = try ping() }
        #expect(back, "the chain forwards again once the link is up")

        // /metrics: promtool and prometheus_client read it; each family once.
        let metricsFile = directory.appendingPathComponent("metrics.txt")
        try HostCommand.check(["curl", "-sf", "--unix-socket", daemon.socketPath, "http://nfv-orch/metrics", "-o", metricsFile.path])
        let promtool = try HostCommand.run(["sh", "-c", "promtool check metrics < \(metricsFile.path)"])
        #expect(promtool.status == 0, "\(promtool.output)")
        let parsed = try HostCommand.run([
            "python3", "-c",
            """
            import collections, sys
            from prometheus_client.parser import text_string_to_metric_families
            families = list(text_string_to_metric_families(open(sys.argv[1]).read()))
            names = collections.Counter(f.name for f in families)
            assert all(n == 1 for n in names.values()), [n for n, c in names.items() if c > 1]
            by = {f.name: f for f in families}
            chains = {s.labels["chain"] for s in by["nfv_port_rx_packets"].samples}
            assert chains == {sys.argv[2], sys.argv[3]}, chains
            up = {s.labels["backend"]: s.value for s in by["nfv_lb_backend_up"].samples}
            assert up == {"one": 1.0, "two": 0.0}, up
            flows = {s.labels["flow"]: s.value for s in by["nfv_flow_packets"].samples if s.name.endswith("_total")}
            assert flows.get("table=0,priority=10,icmp,actions=NORMAL", 0) >= 4, flows
            print("ok", len(families))
            """,
            metricsFile.path, balancer, switching,
        ])
        #expect(parsed.status == 0 && parsed.output.hasPrefix("ok"), "\(parsed.output)")
    }
}
