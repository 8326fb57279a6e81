/// One problem in a descriptor: where it is, which field, what is wrong and what would fix it.
public struct DescriptorError: Error, Sendable, Equatable, CustomStringConvertible, Encodable {
    /// Where the offending value (or the mapping missing a field) starts.
    public var location: SourceLocation
    /// The field path, `spec.stages[1].vnf`.
    public var field: String
    /// What is wrong.
    public var message: String
    /// What would fix it, when there is something specific to say.
    public var fix: String?

    public init(location: SourceLocation, field: String, message: String, fix: String? = nil) {
        self.location = location
        self.field = field
        self.message = message
        self.fix = fix
    }

    /// `chains/web.yaml:7:15: error: spec.stages[1].vnf: unknown VNF kind "decrement-tll"; did you mean "decrement-ttl"?`
    /// (the form compilers use, so editors and CI annotate the line).
    public var description: String {
        let subject = field.isEmpty ? "" : "\(field): "
        let hint = fix.map { "; \($0)" } ?? ""
        return "\(location): error: \(subject)\(message)\(hint)"
    }
}

extension DescriptorError {
    enum CodingKeys: String, CodingKey { case file, line, column, field, message, fix }

    /// `{"file", "line", "column", "field", "message", "fix"}`: the same facts as the text form,
    /// for editors and CI (`nfv-orch validate --output json`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(location.file, forKey: .file)
        try container.encode(location.line, forKey: .line)
        try container.encode(location.column, forKey: .column)
        try container.encode(field, forKey: .field)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(fix, forKey: .fix)
    }
}
