import Foundation

/// The network configuration a runtime passes on standard input (CNI spec 1.0.0, "Network
/// configuration"), with this plugin's own fields:
///
/// ```json
/// {"cniVersion": "1.0.0", "name": "edge-net", "type": "nfv-cni", "chain": "edge", "port": "inside",
///  "ipam": {"type": "host-local", "subnet": "10.1.0.0/24", "routes": [{"dst": "0.0.0.0/0"}]}}
/// ```
///
/// `chain` names a chain nfv-orch runs, `port` one of its container ports (`attach: cni`;
/// absent: the first one with no container), `socket` the orchestrator's socket (default
/// /run/nfv-orch/nfv-orch.sock, or NFV_ORCH_SOCKET). `ipam` is handed to the IPAM plugin it
/// names, unchanged.
public struct NetworkConfiguration: Sendable {
    /// The CNI versions this plugin speaks (results of 0.3.x and 0.4.0 carry the IP version).
    public static let supportedVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]

    public var cniVersion: String
    public var name: String
    public var chain: String
    public var port: String?
    public var socket: String?
    /// The IPAM plugin's type (`host-local`), nil without `ipam`.
    public var ipamType: String?
    /// What an earlier ADD returned (CHECK and DEL get it).
    public var previousResult: CNIResult?
    /// The configuration as it came, for the IPAM plugin.
    public var raw: Data

    /// Decodes and checks standard input: not JSON is error 6, a missing or mistyped field 7
    /// (naming it and what to write), a version this plugin does not speak 1.
    public init(_ data: Data, requireChain: Bool = true) throws(CNIError) {
        raw = data
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw CNIError(
                .decodingFailure, "the network configuration on standard input is not JSON",
                details: (error as NSError).userInfo["NSDebugDescription"].map { "\($0)" } ?? "\(error)")
        }
        guard let object = parsed as? [String: Any] else {
            throw CNIError(.decodingFailure, "the network configuration on standard input is not a JSON object")
        }
        func string(_ key: String, required: Bool, example: String) throws(CNIError) -> String? {
            guard let value = object[key] else {
                if required { throw CNIError(.invalidConfiguration, "\"\(key)\" is missing", details: "add \"\(key)\": \(example)") }
                return nil
            }
            guard let text = value as? String, !text.isEmpty else {
                throw CNIError(.invalidConfiguration, "\"\(key)\" must be a non-empty string", details: "write \"\(key)\": \(example)")
            }
            return text
        }
        cniVersion = try string("cniVersion", required: true, example: "\"1.0.0\"")!
        guard Self.supportedVersions.contains(cniVersion) else {
            throw CNIError(
                .incompatibleVersion, "cniVersion \(cniVersion) is not one this plugin speaks",
                details: "use one of " + Self.supportedVersions.joined(separator: ", "))
        }
        name = try string("name", required: requireChain, example: "\"edge-net\"") ?? ""
        chain = try string("chain", required: requireChain, example: "the name of a chain nfv-orch runs (\"edge\")") ?? ""
        port = try string("port", required: false, example: "a container port of the chain (\"inside\")")
        socket = try string("socket", required: false, example: "\"/run/nfv-orch/nfv-orch.sock\"")
        for (key, value) in [("chain", chain), ("port", port ?? "")] where value.contains(where: { $0.isWhitespace || $0 == "/" }) {
            throw CNIError(
                .invalidConfiguration, "\"\(key)\": \"\(value)\" has a space or '/'", details: "chain and port names are letters, digits and '-'")
        }
        if let ipam = object["ipam"] {
            guard let fields = ipam as? [String: Any], let type = fields["type"] as? String, !type.isEmpty, !type.contains("/") else {
                throw CNIError(
                    .invalidConfiguration, "\"ipam\" must be an object with a \"type\"",
                    details: "write \"ipam\": {\"type\": \"host-local\", \"subnet\": \"10.1.0.0/24\"}")
            }
            ipamType = type
        }
        if let previous = object["prevResult"] {
            guard JSONSerialization.isValidJSONObject(previous),
                let data = try? JSONSerialization.data(withJSONObject: previous),
                let result = try? JSONDecoder().decode(CNIResult.self, from: data)
            else {
                throw CNIError(.decodingFailure, "\"prevResult\" is not a CNI result")
            }
            previousResult = result
        }
    }
}
