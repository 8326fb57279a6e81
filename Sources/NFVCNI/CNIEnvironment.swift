/// What a container runtime tells a CNI plugin through its environment (CNI spec 1.0.0,
/// "Parameters"): the command and, for ADD, DEL and CHECK, the container and its namespace.
public struct CNIEnvironment: Sendable, Equatable {
    /// The operations of the spec.
    public enum Command: String, Sendable, CaseIterable {
        case add = "ADD"
        case delete = "DEL"
        case check = "CHECK"
        case version = "VERSION"
    }

    public var command: Command
    /// CNI_CONTAINERID.
    public var containerID: String
    /// CNI_NETNS: the container's network namespace (may be empty on DEL: already gone).
    public var namespacePath: String
    /// CNI_IFNAME: the interface to make in the container.
    public var interface: String
    /// CNI_ARGS, `KEY=VALUE;...`.
    public var arguments: [String: String]
    /// CNI_PATH: where plugins (the IPAM plugin) are looked for.
    public var pluginDirectories: [String]
    /// The whole environment, passed on to the IPAM plugin.
    public var all: [String: String]

    /// Reads the CNI_ variables of `environment`; a missing or wrong one is error 4 naming it.
    public init(_ environment: [String: String]) throws(CNIError) {
        all = environment
        guard let text = environment["CNI_COMMAND"], !text.isEmpty else {
            throw CNIError(.invalidEnvironment, "CNI_COMMAND is not set", details: "set it to ADD, DEL, CHECK or VERSION")
        }
        guard let command = Command(rawValue: text) else {
            throw CNIError(.invalidEnvironment, "CNI_COMMAND \(text) is not a CNI command", details: "use ADD, DEL, CHECK or VERSION")
        }
        self.command = command
        containerID = environment["CNI_CONTAINERID"] ?? ""
        namespacePath = environment["CNI_NETNS"] ?? ""
        interface = environment["CNI_IFNAME"] ?? ""
        pluginDirectories = (environment["CNI_PATH"] ?? "").split(separator: ":").map(String.init)
        arguments = [:]
        for pair in (environment["CNI_ARGS"] ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw CNIError(.invalidEnvironment, "CNI_ARGS: \"\(pair)\" is not KEY=VALUE", details: "write KEY=VALUE;KEY=VALUE")
            }
            arguments[parts[0]] = parts[1]
        }
        guard command != .version else { return }
        var required = ["CNI_CONTAINERID": containerID, "CNI_IFNAME": interface]
        if command != .delete { required["CNI_NETNS"] = namespacePath }
        for (name, value) in required.sorted(by: { $0.key < $1.key }) where value.isEmpty {
            throw CNIError(.invalidEnvironment, "\(name) is not set", details: "a runtime sets it for \(command.rawValue)")
        }
        if interface.utf8.count > 15 || interface.contains("/") || interface.contains(where: \.isWhitespace) || interface == "."
            || interface == ".."
        {
            throw CNIError(.invalidEnvironment, "CNI_IFNAME \"\(interface)\" is not an interface name", details: "1 to 15 bytes, no '/' or space")
        }
        if containerID.contains(where: { $0.isWhitespace || $0 == "/" }) {
            throw CNIError(.invalidEnvironment, "CNI_CONTAINERID \"\(containerID)\" has a space or '/'")
        }
    }
}
