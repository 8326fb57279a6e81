import Foundation
import NFVNetlink
import NFVOrchestrator
import NFVPipeline

/// The `nfv-cni` plugin: puts a container on a chain's container port (`attach: cni`).
///
/// - ADD: the IPAM plugin named in `ipam` gives addresses; nfv-orch has the chain's data plane
///   make the port's TAP in the container's namespace as CNI_IFNAME (up, at the port's MTU)
///   and forward on it; the addresses and routes go on the interface; the result names the
///   interface (with its MAC and sandbox), addresses, routes and DNS. A failure after the
///   IPAM plugin gave addresses gives them back, and one after the attachment detaches.
/// - DEL: nfv-orch detaches the container (the TAP goes); with no orchestrator answering, the
///   TAP is removed from the namespace here; the IPAM plugin releases the addresses. Always
///   succeeds when there is nothing left to remove (a repeated DEL, a namespace gone).
/// - CHECK: the container is attached to the chain, its interface is in its namespace with the
///   MAC and addresses ADD reported (`prevResult`), and the IPAM plugin agrees.
/// - VERSION: the versions spoken.
public struct CNIPlugin: Sendable {
    public var environment: CNIEnvironment

    public init(environment: CNIEnvironment) { self.environment = environment }

    /// Runs the command on the network configuration `input`; what goes to standard output.
    public func run(input: Data) throws(CNIError) -> Data {
        switch environment.command {
        case .version: return Self.version(input)
        case .add: return try add(try NetworkConfiguration(input))
        case .delete:
            try delete(try NetworkConfiguration(input))
            return Data()
        case .check:
            try check(try NetworkConfiguration(input))
            return Data()
        }
    }

    /// `{"cniVersion", "supportedVersions"}`, in the version the input asks for.
    static func version(_ input: Data) -> Data {
        let asked = ((try? JSONSerialization.jsonObject(with: input)) as? [String: Any])?["cniVersion"] as? String
        let object: [String: Any] = ["cniVersion": asked ?? "1.0.0", "supportedVersions": NetworkConfiguration.supportedVersions]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    func add(_ configuration: NetworkConfiguration) throws(CNIError) -> Data {
        guard FileManager.default.fileExists(atPath: environment.namespacePath) else {
            throw CNIError(.invalidEnvironment, "CNI_NETNS \(environment.namespacePath) does not exist")
        }
        let ipam = configuration.ipamType.map { IPAMDelegate(type: $0, environment: environment) }
        let addresses = try ipam?.run(.add, configuration: configuration.raw)
        let attachment: ContainerAttachmentView
        do {
            attachment = try client(configuration).post(
                ContainerAttachmentView.self, "/v1/chains/\(Self.pathComponent(configuration.chain))/attachments",
                Supervisor.AttachmentRequest(
                    port: configuration.port, containerID: environment.containerID, namespacePath: environment.namespacePath,
                    interface: environment.interface))
        } catch {
            try? ipam?.run(.delete, configuration: configuration.raw)
            throw Self.cniError(error, doing: "attach the container to chain \(configuration.chain)")
        }
        var result = CNIResult(
            cniVersion: configuration.cniVersion,
            interfaces: [.init(name: attachment.interface, mac: attachment.macAddress, sandbox: environment.namespacePath)],
            ips: addresses?.ips?.map { .init(address: $0.address, gateway: $0.gateway, interface: 0) } ?? [],
            routes: addresses?.routes, dns: addresses?.dns)
        if result.routes?.isEmpty == true { result.routes = nil }
        do { try configure(result) } catch {
            _ = try? client(configuration).request("DELETE", detachPath(configuration))
            try? ipam?.run(.delete, configuration: configuration.raw)
            throw error
        }
        return result.json(version: configuration.cniVersion)
    }

    /// Puts the result's addresses and routes on the interface in the container (what is there
    /// already, from an ADD the runtime repeats, stays).
    func configure(_ result: CNIResult) throws(CNIError) {
        do {
            let netlink = try NetworkNamespace(existingAt: environment.namespacePath).netlink()
            for ip in result.ips ?? [] {
                do { try netlink.address(ip.address, on: environment.interface) } catch  where error.isAlreadyThere {}
            }
            for route in result.routes ?? [] {
                let isIPv6 = route.dst.contains(":")
                let gateway = route.gw ?? result.ips?.first { ($0.address.contains(":")) == isIPv6 && $0.gateway != nil }?.gateway
                do { try netlink.route(to: route.dst, via: gateway, link: environment.interface) } catch  where error.isAlreadyThere {}
            }
        } catch {
            throw CNIError(.internalFailure, "configuring \(environment.interface) in \(environment.namespacePath) failed", details: "\(error)")
        }
    }

    func delete(_ configuration: NetworkConfiguration) throws(CNIError) {
        do {
            _ = try client(configuration).request("DELETE", detachPath(configuration))
        } catch {
            switch error {
            case .refused(let status, _) where status == 404: break  // the chain is gone: nothing attached
            case .refused, .broken, .notRunning:
                // Nobody to tell: the TAP goes from the namespace here (the data plane, if it
                // comes back, finds it gone).
                Supervisor.removeContainerInterface(environment.interface, in: environment.namespacePath)
            case .notAllowed:
                throw Self.cniError(error, doing: "detach the container from chain \(configuration.chain)")
            }
        }
        if let type = configuration.ipamType {
            try IPAMDelegate(type: type, environment: environment).run(.delete, configuration: configuration.raw)
        }
    }

    func check(_ configuration: NetworkConfiguration) throws(CNIError) {
        guard let previous = configuration.previousResult else {
            throw CNIError(.invalidConfiguration, "CHECK needs \"prevResult\", the result ADD returned", details: "a runtime passes it")
        }
        let attachments: [ContainerAttachmentView]
        do {
            attachments = try client(configuration).get(
                [ContainerAttachmentView].self, "/v1/chains/\(Self.pathComponent(configuration.chain))/attachments")
        } catch {
            throw Self.cniError(error, doing: "list chain \(configuration.chain)'s containers")
        }
        guard let attachment = attachments.first(where: { $0.containerID == environment.containerID && $0.interface == environment.interface })
        else {
            throw CNIError(
                .interfaceNotAsAdded,
                "container \(environment.containerID)'s \(environment.interface) is not attached to chain \(configuration.chain)")
        }
        let namespace = environment.namespacePath
        let netlink: NetlinkSocket
        let link: LinkInfo
        do {
            netlink = try NetworkNamespace(existingAt: namespace).netlink()
            link = try netlink.link(named: environment.interface)
        } catch {
            throw CNIError(.interfaceNotAsAdded, "interface \(environment.interface) is missing in \(namespace)", details: "\(error)")
        }
        guard link.type == "tun" else {
            throw CNIError(
                .interfaceNotAsAdded,
                "\(environment.interface) in \(namespace) is a \(link.type.isEmpty ? "plain" : link.type) device, not the port's TAP")
        }
        let reported = previous.interfaces?.firstIndex { $0.name == environment.interface && ($0.sandbox ?? namespace) == namespace }
        if let reported, let mac = previous.interfaces?[reported].mac, mac.lowercased() != link.macAddress.lowercased() {
            throw CNIError(.interfaceNotAsAdded, "\(environment.interface) has MAC \(link.macAddress), not \(mac) as ADD reported")
        }
        if link.macAddress.lowercased() != attachment.macAddress.lowercased() {
            throw CNIError(
                .interfaceNotAsAdded,
                "\(environment.interface) is not the TAP chain \(configuration.chain) attached (MAC \(link.macAddress), attached \(attachment.macAddress))"
            )
        }
        let present = (try? netlink.addresses(on: environment.interface)) ?? []
        for ip in previous.ips ?? [] where ip.interface == nil || ip.interface == reported {
            guard present.contains(ip.address) else {
                throw CNIError(
                    .interfaceNotAsAdded, "\(environment.interface) lacks address \(ip.address)", details: "it has \(present.joined(separator: ", "))"
                )
            }
        }
        if let type = configuration.ipamType {
            try IPAMDelegate(type: type, environment: environment).run(.check, configuration: configuration.raw)
        }
    }

    func client(_ configuration: NetworkConfiguration) -> OrchestratorClient {
        var paths = OrchestratorPaths.fromEnvironment()
        if let socket = configuration.socket { paths.socketPath = socket }
        return OrchestratorClient(paths: paths)
    }

    func detachPath(_ configuration: NetworkConfiguration) -> String {
        "/v1/chains/\(Self.pathComponent(configuration.chain))/attachments/\(Self.pathComponent(environment.containerID))/\(Self.pathComponent(environment.interface))"
    }

    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// An orchestrator failure as a CNI error: not running or not answering is "try again
    /// later" (11), a refusal (no such chain or port, the port taken) 100 with its reason.
    static func cniError(_ error: OrchestratorClient.ClientError, doing what: String) -> CNIError {
        switch error {
        case .notRunning: CNIError(.tryAgainLater, "cannot \(what): \(error)")
        case .refused(let status, let message) where status == 503: CNIError(.tryAgainLater, "cannot \(what): \(message)")
        case .refused(_, let message): CNIError(.refusedByOrchestrator, "nfv-orch refused to \(what): \(message)")
        case .notAllowed, .broken: CNIError(.ioFailure, "cannot \(what): \(error)")
        }
    }
}
