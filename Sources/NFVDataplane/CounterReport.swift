import NFVIO
import NFVPipeline

/// The counters of a live chain as a table: per port packets and bytes each way and the
/// port's drops; per stage received, transmitted, emitted, held and drops by reason.
public enum CounterReport {
    public static func text(_ live: LiveChain) -> String {
        var lines: [String] = []
        for (port, descriptor) in zip(live.ports, live.loaded.descriptor.ports) {
            let counters = port.counters
            var line = "port \(descriptor.name) (\(port.name)): rx \(counters.receivedPackets) (\(counters.receivedBytes) bytes), "
                + "tx \(counters.transmittedPackets) (\(counters.transmittedBytes) bytes)"
            let drops = counters.drops.nonZero
            if !drops.isEmpty { line += ", drops " + drops.map { "\($0.reason.name)=\($0.count)" }.joined(separator: " ") }
            if port.isDown { line += ", DOWN (\(port.downEvents) times)" }
            lines.append(line)
        }
        let header = ["stage", "kind", "rx", "tx", "emit", "held", "drop", "drop reasons"]
        var rows = [header]
        for (stage, counters) in zip(live.chain.stages, live.chain.counters) {
            let reasons = counters.drops.nonZero.map { "\($0.reason.name)=\($0.count)" }.joined(separator: " ")
            rows.append([stage.name, stage.kind, "\(counters.received)", "\(counters.transmitted)", "\(counters.emitted)",
                         "\(counters.held)", "\(counters.drops.total)", reasons.isEmpty ? "-" : reasons])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { column, cell in
                column == row.count - 1 ? cell
                    : column < 2 ? cell + String(repeating: " ", count: widths[column] - cell.count)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}
