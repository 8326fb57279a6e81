import Foundation

/// Runs the IPAM plugin a network configuration names (`ipam.type`), the way a runtime runs
/// a plugin (CNI spec 1.0.0, "Delegated plugins"): found in CNI_PATH, given the same
/// environment and the same configuration on standard input; its result (addresses, routes,
/// DNS) or its error comes back. An error it returns is passed through with its code.
public struct IPAMDelegate: Sendable {
    public var type: String
    public var environment: CNIEnvironment

    public init(type: String, environment: CNIEnvironment) {
        self.type = type
        self.environment = environment
    }

    /// Runs the plugin for `command` with `configuration` on its input; its standard output.
    @discardableResult
    public func run(_ command: CNIEnvironment.Command, configuration: Data) throws(CNIError) -> CNIResult? {
        guard
            let executable = environment.pluginDirectories.map({ "\($0)/\(type)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw CNIError(
                .invalidConfiguration, "the IPAM plugin \(type) is not in CNI_PATH",
                details:
                    "CNI_PATH is \"\(environment.pluginDirectories.joined(separator: ":"))\"; install it there (Debian: containernetworking-plugins, in /usr/lib/cni)"
            )
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var variables = environment.all
        variables["CNI_COMMAND"] = command.rawValue
        process.environment = variables
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CNIError(.ioFailure, "the IPAM plugin \(executable) did not start", details: "\(error)")
        }
        try? input.fileHandleForWriting.write(contentsOf: configuration)
        try? input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            struct Failure: Decodable {
                var code: Int
                var msg: String?
                var details: String?
            }
            if let failure = try? JSONDecoder().decode(Failure.self, from: answer) {
                throw CNIError(code: failure.code, "IPAM plugin \(type): \(failure.msg ?? "failed")", details: failure.details ?? "")
            }
            throw CNIError(
                .ioFailure, "the IPAM plugin \(type) failed (exit status \(process.terminationStatus))",
                details: String(decoding: answer, as: UTF8.self))
        }
        guard command == .add else { return nil }
        do { return try JSONDecoder().decode(CNIResult.self, from: answer) } catch {
            throw CNIError(.decodingFailure, "the IPAM plugin \(type)'s result is not a CNI result", details: String(decoding: answer, as: UTF8.self))
        }
    }
}
