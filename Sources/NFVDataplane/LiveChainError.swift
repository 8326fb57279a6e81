/// Why a live chain could not start, naming the port and the step.
public struct LiveChainError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
