import Foundation

/// The kernel's TCP counters of a network namespace, for measuring loss in tests.
public enum TCPCounters {
    /// Segments the sender's kernel retransmitted that the receiver had not already received:
    /// RetransSegs of `sender` minus the duplicate segments `receiver` reported back with a
    /// D-SACK (TCPDSACKOldSent + TCPDSACKOfoSent, RFC 2883). A retransmission triggered only by
    /// a late ACK (a tail loss probe or RTO on a busy machine) reaches the receiver twice and is
    /// D-SACKed, so it does not count; a segment the path really lost does. Lower bound 0.
    public static func lostSegments(sender: String, receiver: String) throws -> Int {
        let retransmitted = try counter(sender, file: "snmp", table: "Tcp:", name: "RetransSegs")
        let duplicates =
            try counter(receiver, file: "netstat", table: "TcpExt:", name: "TCPDSACKOldSent")
            + counter(receiver, file: "netstat", table: "TcpExt:", name: "TCPDSACKOfoSent")
        return retransmitted - duplicates
    }

    /// One counter of /proc/net/`file` (header line and value line per table) in `namespace`.
    public static func counter(_ namespace: String, file: String, table: String, name: String) throws -> Int {
        let text = try HostCommand.check(["ip", "netns", "exec", namespace, "cat", "/proc/net/\(file)"])
        let lines = text.split(separator: "\n").filter { $0.hasPrefix(table) }
        guard lines.count == 2, let column = lines[0].split(separator: " ").firstIndex(of: Substring(name)) else {
            throw CounterError(description: "\(namespace): no \(table) \(name) in /proc/net/\(file)")
        }
        return Int(lines[1].split(separator: " ")[column]) ?? 0
    }

    public struct CounterError: Error, CustomStringConvertible {
        public var description: String
    }
}
