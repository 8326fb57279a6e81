import Foundation
import NFVCatalog
import NFVDataplane
import NFVReplay
import NFVTestSupport
import Testing

/// A load balancer deployed live with health checks: two backends behind a VIP in the server
/// namespace, only one of them listening. The data plane runs the probes from the backends'
/// namespace, marks the silent one down, and every connection to the VIP reaches the live one.
/// Without health checks (or with probes run from the wrong namespace, where neither backend
/// is reachable) Maglev would send part or all of the connections to a refusing address.
@Suite(.serialized) struct LiveLoadBalancerTests {
    /// 20 connections to the VIP; prints "ok N" and how many each backend answered.
    static let fetchWho = """
        import collections, urllib.request
        answers = collections.Counter()
        for _ in range(20):
            try:
                answers[urllib.request.urlopen('http://10.219.0.100/who', timeout=3).read().decode()] += 1
            except Exception as error:
                print('failed:', error)
        print('ok', sum(answers.values()), ' '.join(f'{name} {count}' for name, count in sorted(answers.items())))
        """

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func healthChecksRunFromTheBackendsNamespace() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (client, server) = ("nfvt-bc\(suffix)", "nfvt-bs\(suffix)")
        let (inside, outside) = ("nfvtbi\(suffix)", "nfvtbo\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        apiVersion: nfv/v1
        kind: LoadBalancerConfig
        metadata: { name: live-lb }
        spec:
          clients: inside
          backends: outside
          tableSize: 65537
          connections: { max: 4096 }
          services:
            - name: web
              vip: 10.219.0.100:80/tcp
              mode: nat
              backends:
                - { name: alive,  address: "10.219.0.2:8080" }
                - { name: silent, address: "10.219.0.3:8080" }
              healthCheck: { type: tcp, interval: 200ms, timeout: 100ms, fall: 2, rise: 2 }
        """.write(to: directory.appendingPathComponent("lb.yaml"), atomically: true, encoding: .utf8)
        let chainFile = directory.appendingPathComponent("live-lb.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: live-lb-test }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: \(inside),  namespace: \(client), address: 10.219.0.1/24 }
            - { name: outside, type: tap, ifname: \(outside), namespace: \(server), address: 10.219.0.2/24 }
          stages:
            - { name: lb, vnf: load-balancer, config: lb.yaml }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        var serverProcess: Process?
        defer {
            if let serverProcess { HostCommand.kill(serverProcess) }
            live.tearDown()
        }
        // The second backend address exists but nothing listens on it; the VIP resolves to the
        // server's MAC (the load balancer rewrites the address, not the MAC).
        try HostCommand.check(["ip", "netns", "exec", server, "ip", "addr", "add", "10.219.0.3/24", "dev", outside])
        let mac = try HostCommand.run(["ip", "netns", "exec", server, "cat", "/sys/class/net/\(outside)/address"])
        try HostCommand.check([
            "ip", "netns", "exec", client, "ip", "neigh", "replace", "10.219.0.100", "lladdr",
            mac.output.trimmingCharacters(in: .whitespacesAndNewlines), "dev", inside,
        ])
        // Each web server answers /who with its own name.
        func startServer(_ name: String, address: String, port: Int) throws -> Process {
            let root = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try name.write(to: root.appendingPathComponent("who"), atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "ip", "netns", "exec", server, "python3", "-m", "http.server", "\(port)", "--bind", address,
                "--directory", root.path,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        serverProcess = try startServer("alive", address: "10.219.0.2", port: 8080)
        try live.start()
        // fall 2 at 200 ms: the silent backend is down after about 0.4 s; rise 2 brings the
        // live one up (backends start up) — wait well past both.
        usleep(1_500_000)
        let fetch = try HostCommand.run(["ip", "netns", "exec", client, "python3", "-c", Self.fetchWho])
        #expect(fetch.output.contains("ok 20") && fetch.output.contains("alive 20"), "every connection reached the live backend: \(fetch.output)")

        // A live update replaces the silent backend by a second server: the health checks follow
        // the new backend list, and new connections spread over both.
        let secondServer = try startServer("second", address: "10.219.0.3", port: 8081)
        defer { HostCommand.kill(secondServer) }
        let config = directory.appendingPathComponent("lb.yaml")
        try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "- { name: silent, address: \"10.219.0.3:8080\" }", with: "- { name: second, address: \"10.219.0.3:8081\" }")
            .write(to: config, atomically: true, encoding: .utf8)
        #expect(try live.reload(try LoadedChain.load(path: chainFile.path)) == ["lb"])
        usleep(1_200_000)  // rise 2 at 200 ms
        let spread = try HostCommand.run(["ip", "netns", "exec", client, "python3", "-c", Self.fetchWho])
        #expect(spread.output.contains("ok 20") && spread.output.contains("second"), "the new backend takes new connections: \(spread.output)")
        live.stop()
        let stage = try #require(live.counters().stages.last)
        #expect(stage.drops.isEmpty, "no packet was dropped: \(stage.drops)")
        live.tearDown()
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(server)"))
    }
}
