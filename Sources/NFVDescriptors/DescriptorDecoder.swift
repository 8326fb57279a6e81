import Yams

/// Reads a YAML document node by node, keeping the source location of every value and
/// collecting every problem instead of stopping at the first. Each descriptor kind
/// (chains now, VNF configurations later) is read with one of these.
public final class DescriptorDecoder {
    /// The file the document came from, as it appears in error locations.
    public let file: String
    /// The problems found so far.
    public private(set) var errors: [DescriptorError] = []

    /// A decoder for one document read from `file`.
    public init(file: String) { self.file = file }

    /// Parses `text` into a node tree; a YAML syntax error is recorded with its location.
    public func compose(_ text: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                report(
                    SourceLocation(file: file, line: 1, column: 1), field: "",
                    "the file is empty", fix: "start with \"apiVersion: nfv/v1\"")
                return nil
            }
            return node
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                report(location(mark), field: "", "YAML syntax error: \(problem)")
            case .reader(let problem, _, _, _):
                report(SourceLocation(file: file, line: 1, column: 1), field: "", "cannot read the file: \(problem)")
            default:
                report(SourceLocation(file: file, line: 1, column: 1), field: "", "YAML error: \(error)")
            }
            return nil
        } catch {
            report(SourceLocation(file: file, line: 1, column: 1), field: "", "YAML error: \(error)")
            return nil
        }
    }

    /// Records a problem.
    public func report(_ location: SourceLocation, field: String, _ message: String, fix: String? = nil) {
        errors.append(DescriptorError(location: location, field: field, message: message, fix: fix))
    }

    /// Records a problem at `node`.
    public func report(_ node: Node, field: String, _ message: String, fix: String? = nil) {
        report(location(of: node), field: field, message, fix: fix)
    }

    /// The location where `node` starts.
    public func location(of node: Node) -> SourceLocation { location(node.mark) }

    func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// The entries of a mapping by key, checking that `node` is a mapping, that keys are
    /// strings, unique and among `allowed` (with a did-you-mean for near misses) and that every
    /// key of `required` is present. Returns nil when `node` is not a mapping.
    public func mapping(_ node: Node, field: String, allowed: [String], required: [String] = []) -> MappingFields? {
        guard case .mapping(let mapping) = node else {
            report(node, field: field, "expected a mapping (key: value pairs), found \(kindName(node))")
            return nil
        }
        var fields = MappingFields(node: node)
        for (key, value) in mapping {
            guard let name = key.string, case .scalar = key else {
                report(key, field: field, "keys must be plain strings")
                continue
            }
            let path = join(field, name)
            if fields.values[name] != nil {
                report(key, field: path, "duplicate key", fix: "remove one of the two \"\(name)\" entries")
                continue
            }
            guard allowed.contains(name) else {
                let fix =
                    Suggestion.closest(to: name, in: allowed).map { "did you mean \"\($0)\"?" }
                    ?? "known fields here: \(allowed.joined(separator: ", "))"
                report(key, field: path, "unknown field", fix: fix)
                continue
            }
            fields.values[name] = value
            fields.keys[name] = key
        }
        for name in required where fields.values[name] == nil {
            report(
                node, field: join(field, name), "required field is missing",
                fix: "add \"\(name):\" to this mapping")
        }
        return fields
    }

    /// The elements of a sequence; nil (with an error) when `node` is not one.
    public func sequence(_ node: Node, field: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(
                node, field: field, "expected a list, found \(kindName(node))",
                fix: "write one \"- ...\" line per element")
            return nil
        }
        return Array(sequence)
    }

    /// The text of a scalar; nil (with an error) for a mapping, a list or an empty value.
    public func string(_ node: Node, field: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, field: field, "expected a text value, found \(kindName(node))")
            return nil
        }
        guard !scalar.string.isEmpty, node.null == nil else {
            report(node, field: field, "the value is empty")
            return nil
        }
        return scalar.string
    }

    /// A non-negative integer scalar within `range`.
    public func integer(_ node: Node, field: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar = node, let value = node.int else {
            report(node, field: field, "expected a whole number, found \(kindName(node))")
            return nil
        }
        guard range.contains(value) else {
            report(
                node, field: field, "\(value) is out of range",
                fix: "use a value from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// A YAML boolean (`true` / `false`).
    public func boolean(_ node: Node, field: String) -> Bool? {
        guard case .scalar = node, let value = node.bool else {
            report(node, field: field, "expected true or false, found \(kindName(node))", fix: "write true or false")
            return nil
        }
        return value
    }

    /// A text value that must be one of `choices`.
    public func choice(_ node: Node, field: String, choices: [String], what: String) -> String? {
        guard let value = string(node, field: field) else { return nil }
        guard choices.contains(value) else {
            let fix =
                Suggestion.closest(to: value, in: choices).map { "did you mean \"\($0)\"?" }
                ?? "use \(Suggestion.list(choices))"
            report(node, field: field, "unknown \(what) \"\(value)\"", fix: fix)
            return nil
        }
        return value
    }

    /// `a.b` / `a[2]` field path joining.
    /// Milliseconds of a duration written with a unit: "500ms", "2s", "5m", "2h".
    public static func milliseconds(_ text: String) -> Int? {
        for (suffix, scale) in [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)] where text.hasSuffix(suffix) {
            guard let value = Int(text.dropLast(suffix.count)), value >= 0, value <= Int.max / scale else { return nil }
            return value * scale
        }
        return nil
    }

    public func join(_ parent: String, _ child: String) -> String {
        parent.isEmpty ? child : "\(parent).\(child)"
    }

    func kindName(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar: node.null != nil ? "nothing" : "\"\(node.string ?? "")\""
        }
    }
}
