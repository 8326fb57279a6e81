import ArgumentParser
import Foundation
import NFVOrchestrator
import NFVPipeline

struct Conntrack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the connections a chain's firewalls track, as conntrack -L does.",
        discussion: """
            One line per connection, in the direction it was opened: protocol, protocol number, \
            seconds left, state, src= dst= sport= dport= (ICMP: id=, the query identifier), [ASSURED] \
            once two-way, then the rule that let it in, the stage and the worker whose table \
            holds it. Filters combine (all must hold); the count goes to standard error.
            """)

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @Option(name: [.short, .customLong("proto")], help: "Only this protocol: tcp, udp, icmp, icmpv6, sctp, or a number.")
    var proto: String?

    @Option(name: [.short, .customLong("src")], help: "Only connections opened from this address.")
    var source: String?

    @Option(name: [.short, .customLong("dst")], help: "Only connections opened to this address.")
    var destination: String?

    @Option(name: .customLong("sport"), help: "Only this source port.")
    var sourcePort: Int?

    @Option(name: .customLong("dport"), help: "Only this destination port.")
    var destinationPort: Int?

    @Option(help: "Only this state (ESTABLISHED, SYN_SENT, TIME_WAIT, UNREPLIED...; any case).")
    var state: String?

    @OptionGroup var format: OutputOptions
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let name = try chainName(chain, command: "conntrack")
        let all: [TrackedConnectionView]
        do { all = try daemon.client.get([TrackedConnectionView].self, "/v1/chains/\(name)/conntrack") } catch { throw fail(error) }
        let shown = all.filter(matches).sorted {
            ($0.proto, $0.source, $0.sourcePort, $0.destination, $0.destinationPort)
                < ($1.proto, $1.source, $1.sourcePort, $1.destination, $1.destinationPort)
        }
        if try format.printStructured(shown) { return }
        for connection in shown { printNow(Self.line(connection, wide: format.wide)) }
        printError("nfv-orch: \(shown.count) connection\(shown.count == 1 ? "" : "s") shown (of \(all.count) tracked)")
    }

    func matches(_ connection: TrackedConnectionView) -> Bool {
        if let proto, proto.lowercased() != connection.proto, Int(proto) != connection.protocolNumber { return false }
        if let source, source != connection.source { return false }
        if let destination, destination != connection.destination { return false }
        if let sourcePort, sourcePort != connection.sourcePort { return false }
        if let destinationPort, destinationPort != connection.destinationPort { return false }
        if let state, state.uppercased() != connection.state { return false }
        return true
    }

    /// conntrack -L's layout, with the rule (and, wide, the stage, worker and VLAN) after it.
    static func line(_ connection: TrackedConnectionView, wide: Bool) -> String {
        let proto = connection.proto.padding(toLength: 8, withPad: " ", startingAt: 0)
        var text = "\(proto) \(connection.protocolNumber) \(connection.timeout) \(connection.state) "
        text += "src=\(connection.source) dst=\(connection.destination) "
        // ICMP queries are tracked by their identifier (conntrack -L's id=).
        text +=
            connection.proto.hasPrefix("icmp")
            ? "id=\(connection.sourcePort)" : "sport=\(connection.sourcePort) dport=\(connection.destinationPort)"
        if connection.assured { text += " [ASSURED]" }
        text += " rule=\(connection.rule)"
        if wide { text += " stage=\(connection.stage) worker=\(connection.worker)" + (connection.vlan == 0 ? "" : " vlan=\(connection.vlan)") }
        return text
    }
}
