import NFVIO
import NFVPacket

/// The comparison of an output capture with an expected one, aligned by packet.
///
/// Packets are walked in order. Two packets are the same when their bytes are (the fast
/// common case) or, with fields to ignore, when every dissected field (`PacketDissector`) but
/// the ignored ones is; `frame.time` (microseconds) counts only with `comparingTime`. Where
/// they are not, a short look ahead (`window` packets) tells a packet missing from the output,
/// or one the output has in excess, from a packet that differs: a missing or extra packet is
/// one entry, and the walk goes on in step. An ignore entry is a field name (`ipv4.id`) or a
/// layer (`ipv4` or `ipv4.*`); `PacketDissector.isKnown` says which are valid.
public struct CaptureComparison: Sendable {
    /// What the comparison found, in packet order (1-based packet numbers).
    public enum Entry: Sendable, Equatable {
        /// Output packet `actual` differs from expected packet `expected` in these fields.
        case differs(actual: Int, expected: Int, differences: [CaptureDifference])
        /// Expected packet `expected` is not in the output (`summary`: what it is).
        case missing(expected: Int, summary: String)
        /// Output packet `actual` was not expected.
        case extra(actual: Int, summary: String)
    }

    /// Packets in the output.
    public var actualCount: Int
    /// Packets in the expected capture.
    public var expectedCount: Int
    /// Every difference, in packet order.
    public var entries: [Entry]

    /// True when both captures hold the same packets (up to ignored fields).
    public var matches: Bool { entries.isEmpty }
    /// How many packets differ, are missing or are extra.
    public var differingPacketCount: Int { entries.count }

    /// Every field difference, flattened (a missing or extra packet is a `packet` field).
    public var differences: [CaptureDifference] {
        entries.flatMap { entry -> [CaptureDifference] in
            switch entry {
            case .differs(_, _, let differences): differences
            case .missing(let expected, _): [CaptureDifference(packetNumber: expected, field: "packet", actual: "missing", expected: "present")]
            case .extra(let actual, _): [CaptureDifference(packetNumber: actual, field: "packet", actual: "present", expected: "missing")]
            }
        }
    }

    /// How far ahead the walk looks for the packet it expected (or the one it has).
    public static let window = 16

    /// Compares `actual` with `expected`; `progress(done, total)` is called every 100,000
    /// packets on long comparisons.
    public init(
        actual: [MemoryPort.Frame], expected: [MemoryPort.Frame], ignoring: [String] = [], comparingTime: Bool = false,
        progress: ((Int, Int) -> Void)? = nil
    ) {
        actualCount = actual.count
        expectedCount = expected.count
        var matcher = CaptureMatcher(actual: actual, expected: expected, ignoring: ignoring, comparingTime: comparingTime)
        var entries: [Entry] = []
        var (i, j) = (0, 0)
        var nextReport = 100_000
        while i < actual.count || j < expected.count {
            if i + j >= nextReport {
                progress?(min(i, j), max(actual.count, expected.count))
                nextReport += 100_000
            }
            guard i < actual.count else {
                entries.append(.missing(expected: j + 1, summary: Self.summary(expected[j])))
                j += 1
                continue
            }
            guard j < expected.count else {
                entries.append(.extra(actual: i + 1, summary: Self.summary(actual[i])))
                i += 1
                continue
            }
            if matcher.same(i, j) {
                i += 1
                j += 1
                continue
            }
            // Resynchronise on the nearer of: actual[i] further on in expected (packets
            // missing), or expected[j] further on in actual (packets extra).
            let missing = (1...Self.window).first { j + $0 < expected.count && matcher.same(i, j + $0) }
            let extra = (1...Self.window).first { i + $0 < actual.count && matcher.same(i + $0, j) }
            if let missing, missing <= (extra ?? Int.max) {
                for skipped in j..<(j + missing) { entries.append(.missing(expected: skipped + 1, summary: Self.summary(expected[skipped]))) }
                j += missing
            } else if let extra {
                for skipped in i..<(i + extra) { entries.append(.extra(actual: skipped + 1, summary: Self.summary(actual[skipped]))) }
                i += extra
            } else {
                entries.append(.differs(actual: i + 1, expected: j + 1, differences: matcher.differences(i, j)))
                i += 1
                j += 1
            }
        }
        self.entries = entries
    }

    /// Compares the capture files at `actualPath` and `expectedPath`.
    public init(
        actualPath: String, expectedPath: String, ignoring: [String] = [], comparingTime: Bool = false,
        progress: ((Int, Int) -> Void)? = nil
    ) throws(ReplayError) {
        let actual: [MemoryPort.Frame]
        let expected: [MemoryPort.Frame]
        do {
            actual = try PcapFileSource.readAll(path: actualPath)
            expected = try PcapFileSource.readAll(path: expectedPath)
        } catch {
            throw ReplayError("cannot compare captures: \(error)")
        }
        self.init(actual: actual, expected: expected, ignoring: ignoring, comparingTime: comparingTime, progress: progress)
    }

    /// What a packet is, in one line: addresses, protocol, ports, length.
    static func summary(_ frame: MemoryPort.Frame) -> String {
        var values: [String: String] = [:]
        for field in PacketDissector.fields(of: frame.bytes) { values[field.name] = field.value }
        var text: String
        if let source = values["ipv4.src"] ?? values["ipv6.src"], let destination = values["ipv4.dst"] ?? values["ipv6.dst"] {
            text = "\(values["ipv4.src"] != nil ? "ipv4" : "ipv6") \(source) > \(destination)"
        } else if let operation = values["arp.op"] {
            text = "arp op \(operation) \(values["arp.spa"] ?? "?") > \(values["arp.tpa"] ?? "?")"
        } else {
            text = "eth \(values["eth.src"] ?? "?") > \(values["eth.dst"] ?? "?") type \(values["eth.type"] ?? "?")"
        }
        for proto in ["tcp", "udp"] {
            if let sport = values["\(proto).sport"], let dport = values["\(proto).dport"] {
                text += " \(proto) \(sport) > \(dport)" + (values["tcp.flags"].map { proto == "tcp" ? " flags \($0)" : "" } ?? "")
            }
        }
        for proto in ["icmp", "icmpv6"] {
            if let type = values["\(proto).type"] { text += " \(proto) type \(type) code \(values["\(proto).code"] ?? "?")" }
        }
        if let vlan = values["vlan.vid"] { text += " vlan \(vlan)" }
        return text + ", \(frame.bytes.count) bytes"
    }

    /// A summary for a terminal: a match line, or one line per differing, missing or extra
    /// packet (the first `maximumPackets`).
    public func text(expectedPath: String, maximumPackets: Int = 20) -> String {
        if matches { return "output matches \(expectedPath): \(actualCount) packets" }
        var missing = 0
        var extra = 0
        for entry in entries {
            if case .missing = entry { missing += 1 }
            if case .extra = entry { extra += 1 }
        }
        var lines = [
            "output differs from \(expectedPath): output has \(actualCount) packets, expected \(expectedCount); "
                + "\(entries.count - missing - extra) differ, \(missing) missing, \(extra) extra (values: output != expected)"
        ]
        for entry in entries.prefix(maximumPackets) {
            switch entry {
            case .differs(let actual, let expected, let differences):
                let shown = differences.prefix(4).map { "\($0.field) \($0.actual) != \($0.expected)" }
                lines.append(
                    "packet \(actual)" + (actual == expected ? "" : " (expected \(expected))") + ": " + shown.joined(separator: ", ")
                        + (differences.count > 4 ? " (+\(differences.count - 4) more fields)" : ""))
            case .missing(let expected, let summary): lines.append("expected packet \(expected) is missing: \(summary)")
            case .extra(let actual, let summary): lines.append("output packet \(actual) was not expected: \(summary)")
            }
        }
        if entries.count > maximumPackets { lines.append("... \(entries.count - maximumPackets) more") }
        return lines.joined(separator: "\n")
    }
}
