import NFVPacket

/// The counters of a live chain as a table: per port packets and bytes each way and the
/// port's drops; per stage received, transmitted, emitted, held and drops by reason; with more
/// than one worker, how many frames were handed to the worker owning their flow; what the fast
/// path did.
public enum CounterReport {
    public static func text(_ snapshot: CounterSnapshot) -> String {
        var lines: [String] = []
        for port in snapshot.ports {
            var line =
                "port \(port.name) (\(port.device)): rx \(port.receivedPackets) (\(port.receivedBytes) bytes), "
                + "tx \(port.transmittedPackets) (\(port.transmittedBytes) bytes)"
            let drops = reasons(port.drops)
            if !drops.isEmpty { line += ", drops " + drops }
            if port.downQueues > 0 { line += ", DOWN (\(port.downEvents) times)" }
            lines.append(line)
        }
        if snapshot.workerCount > 1 {
            lines.append("workers \(snapshot.workerCount): \(snapshot.handedOff) frames handed to the worker owning their flow")
        }
        if let fast = snapshot.fastPath {
            lines.append(
                "fast path: \(fast.hits) packets by cached flows, \(fast.misses) through the stages, \(fast.cached) flows cached "
                    + "(\(fast.learned) learned, \(fast.invalidated) sent back to the stages, \(fast.full) not cached: full, "
                    + "\(fast.flushes) flushes)")
        }
        let header = ["stage", "kind", "rx", "tx", "emit", "held", "drop", "drop reasons"]
        var rows = [header]
        for stage in snapshot.stages {
            let text = reasons(stage.drops)
            rows.append([
                stage.name, stage.kind, "\(stage.received)", "\(stage.transmitted)", "\(stage.emitted)",
                "\(stage.held)", "\(stage.dropCount)", text.isEmpty ? "-" : text,
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(
                row.enumerated().map { column, cell in
                    column == row.count - 1
                        ? cell
                        : column < 2
                            ? cell + String(repeating: " ", count: widths[column] - cell.count)
                            : String(repeating: " ", count: widths[column] - cell.count) + cell
                }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    /// `name=count` pairs in the reasons' declaration order.
    static func reasons(_ drops: [DropReason: UInt64]) -> String {
        DropReason.allCases.compactMap { reason in drops[reason].map { "\(reason.name)=\($0)" } }.joined(separator: " ")
    }
}
