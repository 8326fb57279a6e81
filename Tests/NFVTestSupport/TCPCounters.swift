import Foundation

/// The kernel's TCP counters of a network namespace, for measuring loss in tests.
public enum TCPCounters {
    /// Segments the sender's kernel retransmitted that the receiver had not already received:
    /// RetransSegs of `sender` minus the segments the receiver reported back as duplicates with
    /// a D-SACK (RFC 2883), as the sender counted them (TCPDSACKRecvSegs, in segments: a
    /// retransmitted super-frame of many segments is one D-SACK but many segments). A
    /// retransmission triggered only by a late ACK (a tail loss probe, or an RTO while a
    /// migration held the segments) reaches the receiver twice and is D-SACKed, so it does not
    /// count; a segment the path really lost does. Lower bound 0. (`receiver` is kept for the
    /// callers' symmetry: the count is the sender's.)
    public static func lostSegments(sender: String, receiver: String) throws -> Int {
        let retransmitted = try counter(sender, file: "snmp", table: "Tcp:", name: "RetransSegs")
        let duplicates = try counter(sender, file: "netstat", table: "TcpExt:", name: "TCPDSACKRecvSegs")
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
