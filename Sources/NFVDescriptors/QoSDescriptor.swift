/// A `qos:` section, on a chain (`spec.qos`) or a service path (`spec.paths[].qos`): a policer
/// (a `kind: PolicerConfig` file) for each direction. `forward` polices the traffic entering on
/// the chain's first port (a path's `from`), `reverse` the traffic entering on the second (a
/// path's `to`, replies when the path is symmetric).
///
/// The loader turns each into a policer stage: the forward one first among the stages, so it
/// meets forward traffic before any other stage does, the reverse one last, which reverse
/// traffic meets first. Each polices only what entered on its port and lets the rest by.
public struct QoSDescriptor: Sendable, Equatable {
    /// The forward direction's PolicerConfig file (resolved), and the name of its stage.
    public var forward: String?
    /// The reverse direction's.
    public var reverse: String?
    /// Where the section is written.
    public var location: SourceLocation

    public init(forward: String? = nil, reverse: String? = nil, location: SourceLocation) {
        self.forward = forward
        self.reverse = reverse
        self.location = location
    }

    /// The two files, for comparing settings wherever they were written.
    public var files: [String?] { [forward, reverse] }

    /// The name of the stage a chain's `qos:` adds for `direction` ("forward", "reverse"), or a
    /// path's: `qos-forward`, `qos-web-reverse`.
    public static func stageName(path: String?, direction: String) -> String {
        path.map { "qos-\($0)-\(direction)" } ?? "qos-\(direction)"
    }
}
