import ArgumentParser
import Foundation
import NFVCatalog
import NFVDescriptors
import NFVReplay

/// `nfv-orch validate FILE...`: checks chain descriptors offline.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check chain descriptors without running anything.",
        discussion:
            "Checks each chain and every VNF configuration it references. Prints every problem as FILE:LINE:COLUMN: error: FIELD: problem; fix. Exit 0 when all files are valid, 1 otherwise."
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "Chain descriptor files (YAML).")
    var files: [String]

    @Option(
        help: "text (FILE:LINE:COLUMN: error: ...) or json (one object per file: file, valid, errors[] with file, line, column, field, message, fix)."
    )
    var output: Output = .text

    struct FileResult: Encodable {
        var file: String
        var valid: Bool
        var chain: String?
        var errors: [DescriptorError]
    }

    func run() throws {
        var results: [FileResult] = []
        for file in files {
            do {
                let chain = try LoadedChain.load(path: file).descriptor
                results.append(FileResult(file: file, valid: true, chain: chain.name, errors: []))
                if output == .text {
                    print(
                        "\(file): chain \(chain.name) is valid (\(Self.count(chain.ports.count, "port")), \(Self.count(chain.stages.count, "stage")))"
                    )
                }
            } catch {
                results.append(FileResult(file: file, valid: false, chain: nil, errors: error.errors))
                if output == .text { printError(error.description) }
            }
        }
        if output == .json { print(try OutputOptions.json(results)) }
        if results.contains(where: { !$0.valid }) { throw ExitCode.failure }
    }

    static func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
}
