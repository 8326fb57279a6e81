import ArgumentParser
import Foundation
import NFVSwitch

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which flows a packet would hit in a chain's switch (or path classifier) and what comes out (like ofproto/trace).",
        discussion:
            "The packet is described with match fields: in_port=a,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80. For a deployed chain, traces the flows its switch runs now (flows added or deleted at run time included); for a file, the flows its configuration declares. A chain with paths: traces its path classifier."
    )

    @Argument(help: "A deployed chain's name, or a chain file.")
    var chain: String

    @Argument(help: "The packet, as match fields.")
    var packet: String

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let loaded = try loadChain(chain, daemon: daemon)
        var (flows, ports, paths) = try configuredFlows(loaded)
        if !FileManager.default.fileExists(atPath: chain), loaded.descriptor.paths.isEmpty {
            flows = try liveFlows(chain, ports: ports, daemon: daemon)
        }
        do {
            for line in try FlowTracer.trace(packet, flows: flows, ports: ports) {
                print(line)
                // A service path: name the stages the packet would pass, in order.
                if let range = line.range(of: "through service path "), let stages = paths[String(line[range.upperBound...])] {
                    print("  stages: " + stages.joined(separator: " -> "))
                }
            }
        } catch {
            printError("nfv-orch: trace: \(error)")
            throw ExitCode.failure
        }
    }
}
