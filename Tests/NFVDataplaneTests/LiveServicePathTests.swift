import Foundation
import NFVCatalog
import NFVDataplane
import NFVReplay
import NFVTestSupport
import Testing

/// Two service paths between real hosts: web to the VIP through firewall -> load balancer
/// (-> router, which delivers it on the server's segment), everything else through firewall ->
/// router -> NAT. The servers say whom they saw: the web server the client itself (no NAT on
/// its path), the UDP server the NAT's address. Replies, translated or not, take their paths back.
@Suite(.serialized) struct LiveServicePathTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func webAndOtherTrafficTakeTheirOwnStages() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (client, server) = ("nfvt-pc\(suffix)", "nfvt-ps\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        apiVersion: nfv/v1
        kind: RouterConfig
        metadata: { name: live-paths-router }
        spec:
          interfaces:
            - { name: lan, port: inside,  mac: 02:00:00:00:01:01, addresses: [10.0.1.1/24] }
            - { name: wan, port: outside, mac: 02:00:00:00:02:01, addresses: [198.51.100.2/30] }
          routes: []
        """.write(to: directory.appendingPathComponent("router.yaml"), atomically: true, encoding: .utf8)
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        let firewall = try String(contentsOfFile: configs + "/edge-firewall.yaml", encoding: .utf8)
        try firewall.write(to: directory.appendingPathComponent("fw.yaml"), atomically: true, encoding: .utf8)
        let chainFile = directory.appendingPathComponent("chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: live-paths }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: nfvtpi\(suffix), namespace: \(client), address: 10.0.1.10/24, gateway: 10.0.1.1 }
            - { name: outside, type: tap, ifname: nfvtpo\(suffix), namespace: \(server), address: 198.51.100.1/30, gateway: 198.51.100.2 }
          stages:
            - { name: fw,     vnf: firewall,      config: fw.yaml }
            - { name: lb,     vnf: load-balancer, config: \(Fixtures.root.appendingPathComponent("Tests/Fixtures/paths/web-lb.yaml").path) }
            - { name: router, vnf: router,        config: router.yaml }
            - { name: nat,    vnf: nat,           config: \(configs)/edge-nat.yaml }
          paths:
            - { name: web,   from: inside, to: outside, match: "tcp,nw_dst=203.0.113.10,tp_dst=80", through: [fw, lb, router], priority: 100 }
            - { name: other, from: inside, to: outside, through: [fw, router, nat], priority: 10 }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        let running = LiveChainTests.Running(live)
        var processes: [Process] = []
        defer {
            for process in processes { HostCommand.kill(process) }
            running.stop()
            live.tearDown()
        }
        // Servers that answer with the address they saw.
        for script in [
            """
            import http.server
            class Who(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = ('web saw ' + self.client_address[0]).encode()
                    self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()
                    self.wfile.write(body)
            http.server.HTTPServer(('198.51.100.1', 8080), Who).serve_forever()
            """,
            """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('198.51.100.1', 53))
            while True:
                data, address = s.recvfrom(100)
                s.sendto(('udp saw ' + address[0]).encode(), address)
            """,
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["ip", "netns", "exec", server, "python3", "-c", script]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        usleep(500_000)
        var web = (status: Int32(1), output: "")
        for _ in 0..<20 where !web.output.contains("web saw") {
            web = try HostCommand.run(["ip", "netns", "exec", client, "curl", "-sS", "-m", "3", "http://203.0.113.10/"])
            if !web.output.contains("web saw") { usleep(200_000) }
        }
        #expect(web.output.contains("web saw 10.0.1.10"), "the web path has no NAT: \(web.output)")
        let udp = try HostCommand.run([
            "ip", "netns", "exec", client, "python3", "-c",
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); "
                + "s.sendto(b'q', ('198.51.100.1', 53)); print(s.recvfrom(100)[0].decode())",
        ])
        #expect(udp.output.contains("udp saw 198.51.100.2"), "the other path translates: \(udp.output)")
        // A live rule change reaches the firewall inside the path gates.
        try firewall.replacingOccurrences(
            of: "    - { name: allow-web,",
            with: "    - { name: block-8081,     match: { proto: tcp, dstPort: 8081 }, action: drop }\n    - { name: allow-web,"
        )
        .write(to: directory.appendingPathComponent("fw.yaml"), atomically: true, encoding: .utf8)
        #expect(try live.reload(try LoadedChain.load(path: chainFile.path)) == ["fw"])
        _ = try HostCommand.run(["ip", "netns", "exec", client, "ping", "-c", "1", "-W", "1", "198.51.100.1"])
        running.stop()
        let stages = live.counters().stages
        #expect(stages.first { $0.name == "fw" }?.ruleHits.contains { $0.name == "block-8081" } == true, "the gated firewall took the new rules")
        let lb = try #require(stages.first { $0.name == "lb" })
        let nat = try #require(stages.first { $0.name == "nat" })
        #expect(lb.dropCount == 0 && nat.dropCount == 0, "\(lb.drops) \(nat.drops)")
        live.tearDown()
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"))
    }
}
