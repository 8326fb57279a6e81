import Foundation
import Yams

extension ChainSnapshot {
    /// A new kernel side for one port of a clone: its TAP device and, optionally, namespace.
    public struct PortRename: Sendable, Equatable {
        public var port: String
        public var interface: String
        public var namespace: String?

        /// `PORT=IFNAME` or `PORT=IFNAME@NAMESPACE`; nil when it is neither.
        public init?(_ text: String) {
            let sides = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard sides.count == 2, !sides[0].isEmpty else { return nil }
            let target = sides[1].split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard !target[0].isEmpty, target.count == 1 || !target[1].isEmpty else { return nil }
            port = sides[0]
            interface = target[0]
            namespace = target.count == 2 ? target[1] : nil
        }
    }

    /// The same chain under `name` (its chain file's `metadata.name` rewritten), with the TAP
    /// device and namespace of each port in `ports` replaced: how a clone gets an identity and
    /// kernel interfaces of its own. The stage files stay as they are.
    public func renamed(to name: String, ports: [PortRename] = []) throws(Supervisor.OperationError) -> ChainSnapshot {
        guard var root = try? Yams.compose(yaml: chainFile.text), case .mapping(var top) = root,
            case .mapping(var metadata)? = top["metadata"], case .mapping(var spec)? = top["spec"],
            case .sequence(var portList)? = spec["ports"]
        else {
            throw Supervisor.OperationError("\(chainFile.sourcePath): the chain file has no metadata and spec.ports to rename")
        }
        metadata["name"] = Node(name)
        var unknown = Set(ports.map(\.port))
        for index in portList.indices {
            guard case .mapping(var port) = portList[index], let portName = port["name"]?.string,
                let rename = ports.first(where: { $0.port == portName })
            else { continue }
            unknown.remove(portName)
            port["ifname"] = Node(rename.interface)
            if let namespace = rename.namespace { port["namespace"] = Node(namespace) }
            portList[index] = .mapping(port)
        }
        guard unknown.isEmpty else {
            throw Supervisor.OperationError(
                "chain \(self.name) has no port \(unknown.sorted().joined(separator: ", ")); its ports are named in its chain file")
        }
        spec["ports"] = .sequence(portList)
        top["metadata"] = .mapping(metadata)
        top["spec"] = .mapping(spec)
        root = .mapping(top)
        let text: String
        do { text = try Yams.serialize(node: root) } catch {
            throw Supervisor.OperationError("cannot write the renamed chain file: \(error)")
        }
        var copy = self
        copy.name = name
        copy.files[0].text = "# \(name): a copy of chain \(self.name) (nfv-orch clone or restore --as)\n" + text
        return copy
    }
}
