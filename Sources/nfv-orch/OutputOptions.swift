import ArgumentParser
import Foundation
import Yams

/// How a command prints what it shows: `-o text` (the default table), `wide` (more columns),
/// `json` or `yaml` (for programs: the API's own objects, field names stable, documented in
/// docs/openapi.yaml).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, wide, json, yaml
}

struct OutputOptions: ParsableArguments {
    @Option(
        name: [.short, .long],
        help: "text (default), wide (more columns), json or yaml (the API's objects; fields as in docs/openapi.yaml).")
    var output: OutputFormat = .text

    /// Whether a table should carry its wide columns.
    var wide: Bool { output == .wide }

    /// Prints `value` as JSON or YAML when that was asked for; false for text and wide, which
    /// the command prints itself.
    func printStructured<T: Encodable>(_ value: T) throws -> Bool {
        switch output {
        case .text, .wide: return false
        case .json: printNow(try Self.json(value))
        case .yaml: printNow(try YAMLEncoder().encode(value).trimmingCharacters(in: .newlines))
        }
        return true
    }

    /// `value` as pretty JSON with sorted keys.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
