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

    /// Prints a JSON document the daemon sent (the data plane's counters) as JSON or YAML
    /// when that was asked for; false for text and wide.
    func printStructured(json data: Data) throws -> Bool {
        switch output {
        case .text, .wide: return false
        case .json:
            let object = try JSONSerialization.jsonObject(with: data)
            let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            printNow(String(decoding: pretty, as: UTF8.self))
        case .yaml:
            printNow(try Yams.dump(object: try JSONSerialization.jsonObject(with: data), sortKeys: true).trimmingCharacters(in: .newlines))
        }
        return true
    }

    /// One record of a stream (`events --follow`): a JSON object on one line (JSON Lines), or
    /// a YAML document; false for text and wide.
    func printRecord<T: Encodable>(_ value: T) throws -> Bool {
        switch output {
        case .text, .wide: return false
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            printNow(String(decoding: try encoder.encode(value), as: UTF8.self))
        case .yaml: printNow("---\n" + (try YAMLEncoder().encode(value)).trimmingCharacters(in: .newlines))
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
