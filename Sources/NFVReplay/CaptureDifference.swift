/// One field that differs between a packet of the output and the expected packet.
public struct CaptureDifference: Sendable, Equatable, CustomStringConvertible {
    /// 1-based packet number in the captures.
    public var packetNumber: Int
    /// The field (`ipv4.ttl`), or `packet` when one capture has no such packet.
    public var field: String
    /// The value in the output.
    public var actual: String
    /// The value in the expected capture.
    public var expected: String

    /// `packet 7: ipv4.ttl 63 != 64` (output value first, expected value second).
    public var description: String { "packet \(packetNumber): \(field) \(actual) != \(expected)" }
}
