/// A failure of a port (a capture file that cannot be read, a device that went away), with a
/// message that names the port and the problem.
public struct PortError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for a person: `in.pcap: packet 12: truncated dump file`.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
