import Foundation
import NFVCatalog
import NFVIO
import NFVReplay

/// Replays a scapy scenario through a one-stage chain with an `inside` and an `outside` port:
/// reads `PREFIX-inside-rx.pcap` and `PREFIX-outside-rx.pcap` from the fixtures and returns
/// what left each port.
public enum TwoPortReplay {
    /// The result of one replay.
    public struct Result {
        public var report: ReplayReport
        public var inside: [MemoryPort.Frame]
        public var outside: [MemoryPort.Frame]
    }

    /// Runs stage `stage` of kind `vnf` configured by `config` (a path under the repository);
    /// `captureMTU` sets both ports' `mtu:`.
    public static func run(
        fixture prefix: String, stage: String, vnf: String, config: String, batchSize: Int, captureMTU: Int? = nil
    ) throws -> Result {
        let mtu = captureMTU.map { ", mtu: \($0)" } ?? ""
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("chain.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: \(prefix)-test }
        spec:
          ports:
            - { name: inside,  type: pcap, rx: \(Fixtures.path("\(prefix)-inside-rx.pcap")), tx: inside-tx.pcap\(mtu) }
            - { name: outside, type: pcap, rx: \(Fixtures.path("\(prefix)-outside-rx.pcap")), tx: outside-tx.pcap\(mtu) }
          stages:
            - { name: \(stage), vnf: \(vnf), config: \(Fixtures.root.appendingPathComponent(config).path) }
        """.write(to: file, atomically: true, encoding: .utf8)
        let report = try Replayer.run(try LoadedChain.load(path: file.path), options: Replayer.Options(batchSize: batchSize))
        return Result(
            report: report,
            inside: try PcapFileSource.readAll(path: directory.appendingPathComponent("inside-tx.pcap").path),
            outside: try PcapFileSource.readAll(path: directory.appendingPathComponent("outside-tx.pcap").path))
    }
}
