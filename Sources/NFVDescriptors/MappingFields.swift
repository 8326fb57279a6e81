import Yams

/// The checked entries of one YAML mapping, by key.
public struct MappingFields {
    /// The mapping node itself (for errors about missing fields).
    public let node: Node
    /// Values by key.
    public var values: [String: Node] = [:]
    /// Key nodes by key (for errors that point at the key).
    public var keys: [String: Node] = [:]

    public subscript(name: String) -> Node? { values[name] }
}
