import Foundation
import NFVCatalog
import NFVIO
import NFVReplay
import NFVTestSupport
import Testing

/// The switch over scapy-built traffic on four ports (Tests/Fixtures/generate.py,
/// switch_traffic): MAC learning per VLAN, flooding within the VLAN, access ports untagged, the
/// trunk tagged, frames of a VLAN a port does not carry dropped. What each port sends must be
/// exactly what the scenario expects, byte for byte.
@Suite struct SwitchReplayTests {
    @Test func fourPortsTwoVLANsAndATrunkMatchScapy() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
        apiVersion: nfv/v1
        kind: SwitchConfig
        metadata: { name: replay-switch }
        spec:
          ports:
            - { port: a, vlan: 10 }
            - { port: b, vlan: 10 }
            - { port: c, vlan: 20 }
            - { port: t, trunk: [10, 20] }
        """.write(to: directory.appendingPathComponent("switch.yaml"), atomically: true, encoding: .utf8)
        let ports = ["a", "b", "c", "t"]
        let portLines = ports.map {
            "    - { name: \($0), type: pcap, rx: \(Fixtures.path("switch-\($0)-rx.pcap")), tx: \($0)-tx.pcap }"
        }.joined(separator: "\n")
        let chainFile = directory.appendingPathComponent("chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: switch-replay }
        spec:
          ports:
        \(portLines)
          stages:
            - { name: sw, vnf: switch, config: switch.yaml }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        for batchSize in [256, 1] {
            let report = try Replayer.run(try LoadedChain.load(path: chainFile.path), options: Replayer.Options(batchSize: batchSize))
            for port in ports {
                let actual = try PcapFileSource.readAll(path: directory.appendingPathComponent("\(port)-tx.pcap").path)
                let comparison = CaptureComparison(actual: actual, expected: try Fixtures.frames("switch-\(port)-tx-expected.pcap"))
                #expect(comparison.matches, "port \(port), batches of \(batchSize): \(comparison.text(expectedPath: port))")
            }
            let stage = try #require(report.stages.first { $0.name == "sw" })
            #expect(stage.drops["switch_vlan_not_allowed"] == 2, "the tagged frame on an access port and VLAN 30 on the trunk")
        }
    }
}
