import ArgumentParser
import NFVDescriptors
import NFVReplay

/// `nfv-orch validate FILE...`: checks chain descriptors offline.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check chain descriptors without running anything.",
        discussion: "Checks each chain and every VNF configuration it references. Prints every problem as FILE:LINE:COLUMN: error: FIELD: problem; fix. Exit 0 when all files are valid, 1 otherwise."
    )

    @Argument(help: "Chain descriptor files (YAML).")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let chain = try ChainFactory.load(path: file).descriptor
                print("\(file): chain \(chain.name) is valid (\(chain.ports.count) ports, \(chain.stages.count) stages)")
            } catch {
                failed = true
                printError(error.description)
            }
        }
        if failed { throw ExitCode.failure }
    }
}

func printError(_ text: String) {
    var standardError = StandardError()
    print(text, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleStandardError.write(string)
    }
}
