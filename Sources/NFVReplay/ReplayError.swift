/// A replay that could not run, with the reason for a person.
public struct ReplayError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for a person.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
