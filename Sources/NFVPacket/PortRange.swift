/// An inclusive range of TCP/UDP/SCTP ports (`80`, `1024-65535`).
public struct PortRange: Sendable, Equatable, CustomStringConvertible {
    public var lower: UInt16
    public var upper: UInt16

    /// The ports `lower...upper`.
    public init(_ lower: UInt16, _ upper: UInt16) {
        self.lower = lower
        self.upper = upper
    }

    /// True when `port` is in the range.
    @inlinable public func contains(_ port: UInt16) -> Bool { port >= lower && port <= upper }

    /// How many ports the range holds.
    public var count: Int { Int(upper) - Int(lower) + 1 }

    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}
