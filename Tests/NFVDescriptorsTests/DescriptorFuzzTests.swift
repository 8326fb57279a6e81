import Foundation
import NFVCatalog
import NFVDescriptors
import NFVReplay
import NFVTestSupport
import Testing

/// Seeded fuzzing of the YAML loaders: every shipped chain and VNF configuration, mutated
/// thousands of ways (lines deleted, duplicated, swapped, re-indented; YAML punctuation
/// inserted; values replaced by huge, negative, empty or binary ones; truncation), plus random
/// text. Each input must load or fail with clean errors: at least one, each with a location
/// inside the file (line 1 to lines + 1), a field path or message, and no crash.
@Suite struct DescriptorFuzzTests {
    typealias Generator = SeededGenerator

    static let punctuation = [":", "{", "}", "[", "]", "-", ",", "#", "'", "\"", "\t", " ", "&a", "*a", "!!str", "|", ">", "? ", "%", "@", "\\"]
    static let values = [
        "", "-1", "99999999999999999999", "0x", "1e400", "~", "null", "[]", "{}", "::", "\u{0}", "é",
        String(repeating: "a", count: 5000), "10.0.0.1/33", "300.1.1.1", "fe80::/129", "true", "-", "\"unterminated",
    ]

    static func mutate(_ text: String, _ random: inout Generator) -> String {
        var lines = text.components(separatedBy: "\n")
        let count = Int.random(in: 1...3, using: &random)
        for _ in 0..<count where !lines.isEmpty {
            let index = Int.random(in: 0..<lines.count, using: &random)
            switch Int.random(in: 0..<8, using: &random) {
            case 0: lines.remove(at: index)
            case 1: lines.insert(lines[index], at: index)
            case 2: lines.swapAt(index, Int.random(in: 0..<lines.count, using: &random))
            case 3: lines[index] = String(repeating: " ", count: Int.random(in: 0...7, using: &random)) + lines[index].drop { $0 == " " }
            case 4:
                var line = Array(lines[index])
                let at = line.isEmpty ? 0 : Int.random(in: 0...line.count, using: &random)
                line.insert(contentsOf: Array(punctuation.randomElement(using: &random)!), at: at)
                lines[index] = String(line)
            case 5:
                if let colon = lines[index].firstIndex(of: ":") {
                    lines[index] = String(lines[index][...colon]) + " " + values.randomElement(using: &random)!
                }
            case 6:
                let line = lines[index]
                lines[index] = String(line.prefix(Int.random(in: 0...line.count, using: &random)))
            default:
                lines = Array(lines.prefix(index))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Loads `text` as `kind`; checks the outcome is a value or clean errors.
    static func check(_ text: String, kind: String, file: String) {
        // YAML breaks lines at LF, CR and CR LF (one Character in Swift).
        let lineCount = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).count
        var errors: [DescriptorError] = []
        do {
            switch kind {
            case "Chain": _ = try LoadedChain.descriptorLoader.parse(text, file: file)
            case "FirewallConfig": _ = try FirewallConfigLoader().parse(text, file: file)
            case "RouterConfig": _ = try RouterConfigLoader().parse(text, file: file)
            case "NatConfig": _ = try NATConfigLoader().parse(text, file: file)
            case "SwitchConfig": _ = try SwitchConfigLoader().parse(text, file: file)
            default: _ = try LoadBalancerConfigLoader().parse(text, file: file)
            }
            return
        } catch {
            errors = error.errors
        }
        #expect(!errors.isEmpty, "a failure names at least one error")
        for error in errors {
            let line = error.location.line
            let column = error.location.column
            #expect(error.location.file == file)
            #expect(line >= 1 && line <= lineCount + 1 && column >= 1, "\(error) in:\n\(text)")
            #expect(!error.message.isEmpty)
        }
    }

    static func shippedFiles() throws -> [(kind: String, path: String, text: String)] {
        var files: [(String, String, String)] = []
        for folder in ["chains", "vnf-configs"] {
            let directory = Fixtures.root.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where name.hasSuffix(".yaml") {
                let path = directory.appendingPathComponent(name).path
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let kind =
                    ["FirewallConfig", "RouterConfig", "NatConfig", "LoadBalancerConfig", "SwitchConfig"].first { text.contains("kind: \($0)") }
                    ?? "Chain"
                files.append((kind, path, text))
            }
        }
        return files
    }

    @Test func mutatedShippedDescriptorsFailCleanly() throws {
        let files = try Self.shippedFiles()
        #expect(files.count >= 10)
        var random = Generator(seed: 0x9E37_79B9_7F4A_7C15)
        for round in 0..<4000 {
            let (kind, path, text) = files[round % files.count]
            Self.check(Self.mutate(text, &random), kind: kind, file: path)
        }
    }

    @Test func randomTextFailsCleanly() {
        var random = Generator(seed: 0xD1B5_4A32_D192_ED03)
        let alphabet = Array("abc:{}[]-,#'\" \t\n0123456789./&*!|>?%@\\") + ["\u{0}", "é", "\r"]
        for round in 0..<1500 {
            let length = Int.random(in: 0...300, using: &random)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
            Self.check(
                text, kind: ["Chain", "FirewallConfig", "RouterConfig", "NatConfig", "LoadBalancerConfig", "SwitchConfig"][round % 6],
                file: "random.yaml")
        }
    }
}
