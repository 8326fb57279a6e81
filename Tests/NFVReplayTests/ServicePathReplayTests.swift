import Foundation
import NFVCatalog
import NFVIO
import NFVReplay
import NFVTestSupport
import Testing

/// Two service paths with real VNFs, against scapy (generate.py paths_traffic): web to the VIP
/// through firewall -> load balancer, everything else through firewall -> router -> NAT; the
/// backend's SYN-ACK and the DNS answer (both with translated addresses) come back through
/// their own path's stages. Each port's output equals the expectation byte for byte.
@Suite struct ServicePathReplayTests {
    @Test func webThroughFirewallAndLBTheRestThroughRouterAndNAT() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        apiVersion: nfv/v1
        kind: RouterConfig
        metadata: { name: paths-router }
        spec:
          interfaces:
            - { name: lan, port: inside,  mac: 02:00:00:00:01:01, addresses: [10.0.1.1/24] }
            - { name: wan, port: outside, mac: 02:00:00:00:02:01, addresses: [198.51.100.2/30] }
          routes:
            - { dst: 203.0.113.0/24, via: 198.51.100.1 }
          neighbors:
            static:
              - { address: 198.51.100.1, mac: "02:00:00:00:02:fe" }
              - { address: 10.0.1.10, mac: "02:00:00:00:01:0a" }
        """.write(to: directory.appendingPathComponent("router.yaml"), atomically: true, encoding: .utf8)
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        let chainFile = directory.appendingPathComponent("chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: paths-replay }
        spec:
          ports:
            - { name: inside,  type: pcap, rx: \(Fixtures.path("paths-inside-rx.pcap")), tx: inside-tx.pcap }
            - { name: outside, type: pcap, rx: \(Fixtures.path("paths-outside-rx.pcap")), tx: outside-tx.pcap }
          stages:
            - { name: fw,     vnf: firewall,      config: \(configs)/edge-firewall.yaml }
            - { name: lb,     vnf: load-balancer, config: \(Fixtures.root.appendingPathComponent("Tests/Fixtures/paths/web-lb.yaml").path) }
            - { name: router, vnf: router,        config: router.yaml }
            - { name: nat,    vnf: nat,           config: \(configs)/edge-nat.yaml }
          paths:
            - { name: web,   from: inside, to: outside, match: "tcp,nw_dst=203.0.113.10,tp_dst=80", through: [fw, lb], priority: 100 }
            - { name: other, from: inside, to: outside, through: [fw, router, nat], priority: 10 }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        for batchSize in [256, 1] {
            _ = try Replayer.run(try LoadedChain.load(path: chainFile.path), options: Replayer.Options(batchSize: batchSize))
            for port in ["inside", "outside"] {
                let actual = try PcapFileSource.readAll(path: directory.appendingPathComponent("\(port)-tx.pcap").path)
                let comparison = CaptureComparison(actual: actual, expected: try Fixtures.frames("paths-\(port)-tx-expected.pcap"))
                #expect(comparison.matches, "port \(port), batches of \(batchSize): \(comparison.text(expectedPath: port))")
            }
        }
    }
}
