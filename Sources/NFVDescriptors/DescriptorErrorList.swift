/// Every problem found in one or more descriptors, in file order. Thrown when a descriptor does
/// not validate, so a user sees all problems at once instead of fixing them one run at a time.
public struct DescriptorErrorList: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var errors: [DescriptorError]

    public init(_ errors: [DescriptorError]) { self.errors = errors }

    /// One line per error.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
