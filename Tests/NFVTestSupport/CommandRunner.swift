import Foundation

/// Runs one of the package's executables and captures what it printed.
public struct CommandResult {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

public enum CommandRunner {
    /// Runs one of the package's executables; `environment` adds to (or overrides) this
    /// process's environment, `input` is written to its standard input (none: it reads nothing).
    public static func run(
        _ executable: String, _ arguments: [String], in directory: URL? = nil,
        environment: [String: String] = [:], input: Data? = nil
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = Fixtures.executablesDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.currentDirectoryURL = directory ?? Fixtures.root
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let standardInput = Pipe()
        if input != nil { process.standardInput = standardInput }
        try process.run()
        if let input {
            try? standardInput.fileHandleForWriting.write(contentsOf: input)
            try? standardInput.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a chatty child cannot block.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }
}
