import ArgumentParser
import Foundation
import NFVOrchestrator
import NFVPipeline

struct NATMappings: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nat",
        abstract: "List a chain's NAT mappings and the ports in use on each pool address.",
        discussion: """
            One row per mapping: protocol, the inside endpoint, the pool address and port it goes \
            out as, seconds left, whether a TCP connection of it is established and whether \
            anything came back through it, and (wide) the remotes it sent to, the stage and the \
            worker. Then, per pool address and protocol, how many ports are in use.
            """)

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @OptionGroup var format: OutputOptions
    @OptionGroup var daemon: DaemonOptions

    /// The mappings, and what they use of each pool address.
    struct Listing: Codable {
        struct PoolUse: Codable {
            var address: String
            var proto: String
            var portsInUse: Int
        }
        var mappings: [NATMappingView]
        var poolUse: [PoolUse]
    }

    func run() throws {
        let name = try chainName(chain, command: "nat")
        let mappings: [NATMappingView]
        do { mappings = try daemon.client.get([NATMappingView].self, "/v1/chains/\(name)/nat") } catch { throw fail(error) }
        let sorted = mappings.sorted { ($0.proto, $0.inside, $0.insidePort) < ($1.proto, $1.inside, $1.insidePort) }
        let use = Dictionary(grouping: sorted) { "\($0.outside) \($0.proto)" }.map { key, group in
            Listing.PoolUse(address: group[0].outside, proto: group[0].proto, portsInUse: Set(group.map(\.outsidePort)).count)
        }.sorted { ($0.address, $0.proto) < ($1.address, $1.proto) }
        if try format.printStructured(Listing(mappings: sorted, poolUse: use)) { return }
        var rows = [["PROTO", "INSIDE", "OUTSIDE", "TIMEOUT", "STATE"] + (format.wide ? ["REMOTES", "STAGE", "WORKER"] : [])]
        for mapping in sorted {
            let state = mapping.established ? "established" : mapping.repliedTo ? "replied" : "unreplied"
            rows.append(
                [
                    mapping.proto, "\(mapping.inside):\(mapping.insidePort)", "\(mapping.outside):\(mapping.outsidePort)",
                    "\(mapping.timeout)s", state,
                ] + (format.wide ? [mapping.remotes.joined(separator: ","), mapping.stage, "\(mapping.worker)"] : []))
        }
        printTable(rows)
        printNow()
        printTable([["POOL ADDRESS", "PROTO", "PORTS IN USE"]] + use.map { [$0.address, $0.proto, "\($0.portsInUse)"] })
    }
}
