import Foundation
import NFVIO
import NFVReplay
import NFVTestSupport
import Testing

/// The Linux kernel as an independent reference: the same scapy traffic through a namespace
/// that forwards IPv4 under an nftables stateful ruleset (Tests/Fixtures/kernel_differential.py)
/// and through our firewall -> router chain with the equivalent configuration
/// (Tests/Fixtures/differential/). What leaves each side must agree packet by packet and field
/// by field: the same verdicts, the same TTL, checksums and MAC rewriting.
///
/// Needs root (network namespaces, veth, nftables). CI runs as root; elsewhere the test is
/// reported as skipped, and it fails in CI rather than skip.
@Suite(.serialized) struct KernelDifferentialTests {
    static var isRoot: Bool { getuid() == 0 }
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    @Test(.enabled(if: isRoot || inCI, "needs root: network namespaces and nftables"))
    func firewallAndRouterAgreeWithTheKernel() throws {
        try #require(Self.isRoot, "CI must run this test as root")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = Fixtures.root.appendingPathComponent("Tests/Fixtures/kernel_differential.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, directory.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "kernel reference failed: \(output)")

        let configs = Fixtures.root.appendingPathComponent("Tests/Fixtures/differential")
        let chain = directory.appendingPathComponent("chain.yaml")
        try """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: differential }
            spec:
              ports:
                - { name: inside,  type: pcap, rx: inside-rx.pcap,  tx: ours-inside-tx.pcap }
                - { name: outside, type: pcap, rx: outside-rx.pcap, tx: ours-outside-tx.pcap }
              stages:
                - { name: fw,  vnf: firewall, config: \(configs.appendingPathComponent("firewall.yaml").path) }
                - { name: rtr, vnf: router,   config: \(configs.appendingPathComponent("router.yaml").path) }
            """.write(to: chain, atomically: true, encoding: .utf8)
        let report = try Replayer.run(try ChainFactory.load(path: chain.path), options: Replayer.Options())
        for side in ["inside", "outside"] {
            let ours = try PcapFileSource.readAll(path: directory.appendingPathComponent("ours-\(side)-tx.pcap").path)
            let kernel = try PcapFileSource.readAll(path: directory.appendingPathComponent("kernel-\(side)-tx.pcap").path)
            #expect(!kernel.isEmpty, "the kernel forwarded nothing to the \(side): \(output)")
            let comparison = CaptureComparison(actual: ours, expected: kernel)
            #expect(comparison.matches, "\(side): \(comparison.text(expectedPath: "kernel"))")
        }
        let firewall = try #require(report.stages.first { $0.name == "fw" })
        #expect(firewall.dropped == 6, "six packets of the scenario belong to no allowed connection")
    }
}
