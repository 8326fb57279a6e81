import Foundation

/// A CNI error as the spec (1.0.0, "Error") has the plugin print it on standard output before
/// it exits non-zero: a code, a message and details. Codes 1 to 99 are the spec's; 100 and up
/// are this plugin's own.
public struct CNIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The spec's codes, and this plugin's.
    public enum Code: Int, Sendable {
        /// The plugin does not speak the network configuration's cniVersion.
        case incompatibleVersion = 1
        /// A field of the network configuration the plugin does not support.
        case unsupportedField = 2
        /// The container is unknown or gone (nothing to clean up).
        case unknownContainer = 3
        /// A CNI_ environment variable is missing or wrong.
        case invalidEnvironment = 4
        /// An I/O failure (reading standard input, running the IPAM plugin).
        case ioFailure = 5
        /// Standard input is not JSON (or not the JSON asked for).
        case decodingFailure = 6
        /// The network configuration is wrong (a field missing, of the wrong type).
        case invalidConfiguration = 7
        /// Try again later: the orchestrator does not answer now.
        case tryAgainLater = 11
        /// nfv-orch refused the attachment (no such chain or port, the port is taken).
        case refusedByOrchestrator = 100
        /// CHECK: the container's interface, its address or its attachment is not as ADD left it.
        case interfaceNotAsAdded = 101
        /// Anything else that failed.
        case internalFailure = 999
    }

    /// The code (a `Code`, or what a delegated IPAM plugin returned).
    public var code: Int
    public var message: String
    public var details: String

    public init(_ code: Code, _ message: String, details: String = "") {
        self.init(code: code.rawValue, message, details: details)
    }

    public init(code: Int, _ message: String, details: String = "") {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "CNI error \(code): \(message)" + (details.isEmpty ? "" : " (\(details))") }

    /// The error document (`{"cniVersion", "code", "msg", "details"}`).
    public func json(cniVersion: String) -> Data {
        var object: [String: Any] = ["cniVersion": cniVersion, "code": code, "msg": message]
        if !details.isEmpty { object["details"] = details }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
