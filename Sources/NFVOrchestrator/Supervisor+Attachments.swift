import Foundation
import NFVNetlink
import NFVPipeline

/// Containers on container ports (`attach: cni`), as nfv-cni asks for them: the daemon has the
/// chain's data plane attach or detach the container's interface and records it, so that every
/// data plane it starts for the chain later (a restart, a crash, a daemon restart) attaches the
/// same containers again before it reports ready (`--attachments`), and undeploy removes their
/// interfaces.
extension Supervisor {
    /// What nfv-cni sends on ADD.
    public struct AttachmentRequest: Codable, Sendable {
        public var port: String?
        public var containerID: String
        public var namespacePath: String
        public var interface: String

        public init(port: String?, containerID: String, namespacePath: String, interface: String) {
            self.port = port
            self.containerID = containerID
            self.namespacePath = namespacePath
            self.interface = interface
        }
    }

    /// Attaches a container to chain `name` (404: no such chain; 400: a field the data plane's
    /// command line cannot carry; 409: the data plane refused, with its reason; 503: it does
    /// not answer).
    public func attach(_ name: String, _ request: AttachmentRequest) throws(OperationError) -> ContainerAttachmentView {
        for (field, value) in [
            ("port", request.port ?? "-"), ("containerID", request.containerID), ("namespacePath", request.namespacePath),
            ("interface", request.interface),
        ] where value.isEmpty || value.contains(where: \.isWhitespace) {
            throw OperationError("\(field): \"\(value)\" must be non-empty and without spaces", status: 400)
        }
        attachmentEdits.lock()
        defer { attachmentEdits.unlock() }
        let answer = try dataplaneCommand(
            name, "attach \(request.port ?? "-") \(request.containerID) \(request.namespacePath) \(request.interface)")
        guard let view = try? JSONDecoder().decode(ContainerAttachmentView.self, from: Data(answer.utf8)) else {
            throw OperationError("chain \(name): the data plane's answer is not an attachment: \(answer)", status: 500)
        }
        do { try store.saveAttachment(view, chain: name) } catch {
            throw OperationError("chain \(name): the attachment could not be recorded: \(error)", status: 500)
        }
        log(name, "attach", "port \(view.port): container \(view.containerID) (\(view.interface) in \(view.namespacePath))")
        return view
    }

    /// Detaches container `containerID`'s `interface` from chain `name`: the data plane closes
    /// its TAP (which then goes), or, when no data plane runs, the device is removed from the
    /// container's namespace here. Nothing attached is not an error (a repeated DEL).
    public func detach(_ name: String, containerID: String, interface: String) throws(OperationError) -> String {
        guard (try? store.chain(name)) != nil else { throw OperationError("no chain \(name) is deployed" + suggestion(name), status: 404) }
        attachmentEdits.lock()
        defer { attachmentEdits.unlock() }
        let recorded = ((try? store.attachments(of: name)) ?? []).first { $0.containerID == containerID && $0.interface == interface }
        let answer = try? UnixSocket.command(paths.controlSocket(name), "detach \(containerID) \(interface)")
        if let recorded { Self.removeContainerInterface(recorded.interface, in: recorded.namespacePath) }
        try? store.deleteAttachment(chain: name, containerID: containerID, interface: interface)
        guard let recorded else { return "container \(containerID) (\(interface)) is not attached to chain \(name)" }
        log(name, "detach", "port \(recorded.port): container \(containerID) (\(interface)) detached")
        return "port \(recorded.port): container \(containerID) (\(interface)) detached" + (answer == nil ? " (no data plane answered)" : "")
    }

    /// The containers attached to chain `name`, as its data plane has them.
    public func attachments(_ name: String) throws(OperationError) -> [ContainerAttachmentView] {
        let answer = try dataplaneCommand(name, "attachments")
        guard let views = try? JSONDecoder().decode([ContainerAttachmentView].self, from: Data(answer.utf8)) else {
            throw OperationError("chain \(name): the data plane's answer is not a list of attachments: \(answer)", status: 500)
        }
        return views
    }

    /// The file that tells a data plane of chain `name` which containers to attach at start
    /// (nil when none are recorded).
    func attachmentsFile(_ name: String) -> String? {
        guard let views = try? store.attachments(of: name), !views.isEmpty,
            let data = try? JSONEncoder().encode(views)
        else { return nil }
        let path = "\(paths.stateDirectory)/chains/\(name)/attachments.json"
        return FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) ? path : nil
    }

    /// Removes every container interface recorded for chain `name` (undeploy, after its data
    /// plane stopped) and forgets them; a note per interface removed.
    func removeContainerInterfaces(_ name: String) -> [String] {
        let views = (try? store.attachments(of: name)) ?? []
        try? store.deleteAttachment(chain: name)
        return views.compactMap { view in
            Self.removeContainerInterface(view.interface, in: view.namespacePath) ? "container \(view.containerID)'s \(view.interface) removed" : nil
        }
    }

    /// Deletes a container's TAP `interface` in the namespace at `namespacePath` where it still
    /// exists (an orchestrated data plane leaves them when it ends; nfv-cni's DEL with no
    /// daemon answering); false when it was gone already (with the container's namespace).
    /// Only a TAP: anything else of that name in the container is not the chain's.
    @discardableResult
    public static func removeContainerInterface(_ interface: String, in namespacePath: String) -> Bool {
        guard !namespacePath.isEmpty, let netlink = try? NetworkNamespace(existingAt: namespacePath).netlink(),
            let link = try? netlink.link(named: interface), link.type == "tun"
        else { return false }
        return (try? netlink.deleteLink(interface)) != nil
    }
}
