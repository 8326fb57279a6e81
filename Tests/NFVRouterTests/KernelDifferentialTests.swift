import Foundation
import NFVCatalog
import NFVIO
import NFVPacket
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
    func compare(
        scenario: String, stages: [(String, String, String)],
        normalize: (MemoryPort.Frame) -> MemoryPort.Frame = { $0 },
        batchSize: Int = PacketBatch.defaultCapacity
    ) throws -> ReplayReport {
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
        let report = try Replayer.run(try LoadedChain.load(path: chain.path), options: Replayer.Options(batchSize: batchSize))
        for side in ["inside", "outside"] {
            let ours = try PcapFileSource.readAll(path: directory.appendingPathComponent("ours-\(side)-tx.pcap").path).map(normalize)
            let kernel = try PcapFileSource.readAll(path: directory.appendingPathComponent("kernel-\(side)-tx.pcap").path)
                .map(normalize)
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

    /// Fragmented UDP through masquerade (RFC 4787 REQ-14), in order and with the first
    /// fragment last: every fragment leaves translated, as the kernel's defragment, NAT and
    /// refragment sends them (the same bytes, sizes, identification and order). Only the times
    /// differ: the kernel sends a datagram's fragments once it is whole, we send each one as
    /// soon as its translation is known.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: network namespaces and nftables"))
    func natTranslatesFragmentsAsTheKernelDoes() throws {
        let report = try compare(
            scenario: "natfrag", stages: [("rtr", "router", "router.yaml"), ("nat", "nat", "nat.yaml")],
            normalize: { MemoryPort.Frame(bytes: $0.bytes, timestamp: 0) })
        let nat = try #require(report.stages.first { $0.name == "nat" })
        #expect(nat.dropped == 0)
        #expect(nat.held == 2, "the second datagram's later fragments waited for its first")
    }

    /// The ICMP errors a router and a filter originate, byte for byte as the kernel sends them
    /// (precedence 6, no DF, from the router's interface on the way back, the quote as the
    /// packet arrived): time exceeded, fragmentation needed with the next-hop MTU, network
    /// unreachable, and a firewall reject. Only the IP identification may differ: the kernel
    /// numbers its datagrams, we send 0. Batches of one packet: within a batch the errors of
    /// different stages leave stage by stage (the reject first), the kernel's in arrival order;
    /// errors about different flows have no order to keep, but the capture comparison is by
    /// position.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: network namespaces and nftables"))
    func icmpErrorsAgreeWithTheKernel() throws {
        let report = try compare(
            scenario: "icmp", stages: [("fw", "firewall", "firewall-icmp.yaml"), ("rtr", "router", "router-icmp.yaml")],
            normalize: Self.withoutICMPErrorIdentification, batchSize: 1)
        let router = try #require(report.stages.first { $0.name == "rtr" })
        #expect(router.dropped == 3, "time exceeded, fragmentation needed and no route")
        let firewall = try #require(report.stages.first { $0.name == "fw" })
        #expect(firewall.dropped == 1, "the rejected datagram")
    }

    /// `frame` with the IP identification of an ICMP error set to 0 (and the header checksum
    /// fixed); every other frame unchanged.
    static func withoutICMPErrorIdentification(_ frame: MemoryPort.Frame) -> MemoryPort.Frame {
        var bytes = frame.bytes
        guard bytes.count >= 42, bytes[12] == 0x08, bytes[13] == 0x00, bytes[23] == 1 else { return frame }
        let headerLength = Int(bytes[14] & 0x0F) * 4
        guard bytes.count > 14 + headerLength, [3, 4, 5, 11, 12].contains(bytes[14 + headerLength]) else { return frame }
        bytes.withUnsafeMutableBytes { buffer in
            let ip = IPv4Header(buffer.baseAddress! + 14)
            buffer.baseAddress!.storeNetworkUInt16(0, at: 18)
            ip.updateChecksum()
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: frame.timestamp)
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
