import Foundation
import NFVIO
import NFVReplay
import NFVTestSupport
import Testing

/// The Linux kernel as an independent reference: the same scapy traffic through a namespace
/// that forwards IPv4 under nftables (Tests/Fixtures/kernel_differential.py: a stateful ruleset,
/// or masquerade with a port forward) and through our chain with the equivalent configuration
/// (Tests/Fixtures/differential/). What leaves each side must agree packet by packet and field
/// by field: the same verdicts, translations, TTL, checksums and MAC rewriting.
///
/// Needs root (network namespaces, veth, nftables). CI runs as root; elsewhere the test is
/// reported as skipped, and it fails in CI rather than skip.
@Suite(.serialized) struct KernelDifferentialTests {

    /// Runs the kernel side of `scenario` and then our chain of `stages` (name, vnf, config file
    /// under Tests/Fixtures/differential) over the same captures; compares both ports.
    func compare(scenario: String, stages: [(String, String, String)]) throws -> ReplayReport {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = Fixtures.root.appendingPathComponent("Tests/Fixtures/kernel_differential.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, scenario, directory.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "kernel reference failed: \(output)")

        let configs = Fixtures.root.appendingPathComponent("Tests/Fixtures/differential")
        let chain = directory.appendingPathComponent("chain.yaml")
        let stageLines = stages.map { name, vnf, config in
            "    - { name: \(name), vnf: \(vnf), config: \(configs.appendingPathComponent(config).path) }"
        }.joined(separator: "\n")
        try """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: differential }
            spec:
              ports:
                - { name: inside,  type: pcap, rx: inside-rx.pcap,  tx: ours-inside-tx.pcap }
                - { name: outside, type: pcap, rx: outside-rx.pcap, tx: ours-outside-tx.pcap }
              stages:
            \(stageLines)
            """.write(to: chain, atomically: true, encoding: .utf8)
        let report = try Replayer.run(try ChainFactory.load(path: chain.path), options: Replayer.Options())
        for side in ["inside", "outside"] {
            let ours = try PcapFileSource.readAll(path: directory.appendingPathComponent("ours-\(side)-tx.pcap").path)
            let kernel = try PcapFileSource.readAll(path: directory.appendingPathComponent("kernel-\(side)-tx.pcap").path)
            #expect(!kernel.isEmpty, "the kernel forwarded nothing to the \(side): \(output)")
            let comparison = CaptureComparison(actual: ours, expected: kernel)
            #expect(comparison.matches, "\(scenario) \(side): \(comparison.text(expectedPath: "kernel"))")
        }
        return report
    }

    /// Stateful filtering: the same verdicts and the same forwarded packets as nftables.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: network namespaces and nftables"))
    func firewallAndRouterAgreeWithTheKernel() throws {
        let report = try compare(scenario: "firewall", stages: [("fw", "firewall", "firewall.yaml"), ("rtr", "router", "router.yaml")])
        let firewall = try #require(report.stages.first { $0.name == "fw" })
        #expect(firewall.dropped == 6, "six packets of the scenario belong to no allowed connection")
    }

    /// Masquerade and a port forward: the same translated packets as nftables NAT, including an
    /// ICMP error translated back with its quote. The router runs first so that, as in the
    /// kernel, inbound packets are translated before they are routed and outbound ones after.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: network namespaces and nftables"))
    func natAgreesWithTheKernel() throws {
        let report = try compare(scenario: "nat", stages: [("rtr", "router", "router.yaml"), ("nat", "nat", "nat.yaml")])
        let nat = try #require(report.stages.first { $0.name == "nat" })
        #expect(nat.dropped == 0)
    }
}
