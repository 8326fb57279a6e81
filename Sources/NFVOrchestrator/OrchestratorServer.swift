import Dispatch
import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's HTTP+JSON API on a unix socket (mode 0600: only root connects), over the
/// supervisor, as docs/openapi.yaml describes it (served at /v1/openapi.yaml; a test checks
/// that every route is in the document and that answers match its schemas):
///
/// | method, path | body | answer |
/// |---|---|---|
/// | GET /v1/openapi.yaml | | the OpenAPI document |
/// | GET /v1/chains | | [ChainStatus] |
/// | GET /v1/chains/NAME | | ChainStatus |
/// | GET /v1/chains/NAME/snapshot | | the deployed ChainSnapshot |
/// | GET /v1/chains/NAME/flows | | a switch's flows, dump-flows form |
/// | POST /v1/chains/NAME/flows | FlowChange | {"message": ...} |
/// | POST /v1/chains/NAME/restart | {} | {"message": ...} |
/// | GET /v1/chains/NAME/stats | | the data plane's counters |
/// | GET /v1/chains/NAME/conntrack | | [TrackedConnectionView] |
/// | GET /v1/chains/NAME/nat | | [NATMappingView] |
/// | POST /v1/plan | ChainSnapshot | DeploymentPlan |
/// | POST /v1/deploy | DeployRequest | DeployResult |
/// | POST /v1/undeploy | UndeployRequest | {"message": ...} |
/// | GET /v1/events?after=ID | | [Event] |
/// | GET /metrics | | Prometheus text |
///
/// Errors are `{"error": "...", "status": N}` with the same HTTP status.
public enum OrchestratorServer {
    public struct DeployRequest: Codable, Sendable {
        public var snapshot: ChainSnapshot
        public var allowRestart: Bool
        public var wait: Bool
        public init(snapshot: ChainSnapshot, allowRestart: Bool, wait: Bool) {
            self.snapshot = snapshot
            self.allowRestart = allowRestart
            self.wait = wait
        }
    }

    public struct UndeployRequest: Codable, Sendable {
        public var name: String
        public var force: Bool
        public init(name: String, force: Bool) {
            self.name = name
            self.force = force
        }
    }

    public struct Message: Codable, Sendable {
        public var message: String
    }

    /// A request without a body's worth of fields (`{}`).
    public struct Empty: Codable, Sendable {
        public init() {}
    }

    /// `{"add": FLOW}` or `{"delete": MATCH}` (an empty match deletes every flow).
    public struct FlowChange: Codable, Sendable {
        public var add: String?
        public var delete: String?
        public init(add: String? = nil, delete: String? = nil) {
            self.add = add
            self.delete = delete
        }
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM). Data planes keep running
    /// when the daemon stops; the next daemon adopts them.
    public static func run(supervisor: Supervisor) async throws {
        let paths = supervisor.paths
        try FileManager.default.createDirectory(
            atPath: (paths.socketPath as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        let router = makeRouter(supervisor).router
        let previous = umask(0o077)  // the socket file is created 0600
        let application = Application(
            router: router,
            configuration: .init(address: .unixDomainSocket(path: paths.socketPath), serverName: "nfv-orch"),
            onServerRunning: { _ in
                chmod(paths.socketPath, 0o600)
                umask(previous)
            })
        supervisor.resume()
        try await application.runService()
    }

    /// The API's (METHOD PATH) routes, as `makeRouter` registers them: a test compares them
    /// with docs/openapi.yaml, so no route goes undocumented.
    public static func routes(_ supervisor: Supervisor) -> [String] { makeRouter(supervisor).routes }

    /// Registers every route of the API on a new router.
    static func makeRouter(_ supervisor: Supervisor) -> (router: Router<BasicRequestContext>, routes: [String]) {
        let api = RouteRecorder()
        api.get("/v1/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
        }
        api.get("/v1/chains") { _, _ in try json(await blocking { supervisor.list() }) }
        api.get("/v1/chains/:name") { _, context in
            let name = try context.parameters.require("name")
            return try await answer { () throws(Supervisor.OperationError) in try supervisor.status(name) }
        }
        api.get("/v1/chains/:name/snapshot") { _, context in
            let name = try context.parameters.require("name")
            return try await answer { () throws(Supervisor.OperationError) in try supervisor.snapshot(name) }
        }
        api.get("/v1/chains/:name/flows") { _, context in
            let name = try context.parameters.require("name")
            return try await answer { () throws(Supervisor.OperationError) in Message(message: try supervisor.dataplaneCommand(name, "flows")) }
        }
        api.post("/v1/chains/:name/flows") { request, context in
            let name = try context.parameters.require("name")
            let body = try await request.decode(as: FlowChange.self, context: context)
            return try await answer { () throws(Supervisor.OperationError) in
                if let add = body.add { return Message(message: try supervisor.dataplaneCommand(name, "add-flow " + add)) }
                return Message(message: try supervisor.dataplaneCommand(name, "del-flows " + (body.delete ?? "")))
            }
        }
        api.post("/v1/chains/:name/restart") { _, context in
            let name = try context.parameters.require("name")
            return try await answer { () throws(Supervisor.OperationError) in Message(message: try supervisor.restart(name)) }
        }
        for view in ["conntrack", "nat"] {
            api.get("/v1/chains/:name/\(view)") { _, context in
                let name = try context.parameters.require("name")
                return await blocking {
                    do { return raw(try supervisor.dataplaneCommand(name, view)) } catch { return failure(error) }
                }
            }
        }
        api.get("/v1/chains/:name/stats") { _, context in
            let name = try context.parameters.require("name")
            return await blocking {
                do { return raw(try supervisor.stats(name)) } catch { return failure(error) }
            }
        }
        api.post("/v1/plan") { request, context in
            let snapshot = try await request.decode(as: ChainSnapshot.self, context: context)
            return try await answer { () throws(Supervisor.OperationError) in try supervisor.plan(snapshot) }
        }
        api.post("/v1/deploy") { request, context in
            let body = try await request.decode(as: DeployRequest.self, context: context)
            return try await answer { () throws(Supervisor.OperationError) in
                try supervisor.deploy(body.snapshot, allowRestart: body.allowRestart, wait: body.wait)
            }
        }
        api.post("/v1/undeploy") { request, context in
            let body = try await request.decode(as: UndeployRequest.self, context: context)
            return try await answer { () throws(Supervisor.OperationError) in
                Message(message: try supervisor.undeploy(body.name, force: body.force))
            }
        }
        api.get("/v1/events") { request, _ in
            let after = request.uri.queryParameters.get("after", as: Int64.self) ?? 0
            return try json(await blocking { (try? supervisor.store.events(after: after)) ?? [] })
        }
        api.get("/metrics") { _, _ in
            let text = await blocking { Metrics.text(supervisor) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return (api.router, api.routes)
    }

    /// Runs blocking work (process control, SQLite, sockets) off Swift's cooperative threads.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    static func answer<T: Encodable & Sendable>(_ work: @escaping @Sendable () throws(Supervisor.OperationError) -> T) async throws -> Response {
        let result: Result<T, Supervisor.OperationError> = await blocking { Result { () throws(Supervisor.OperationError) in try work() } }
        switch result {
        case .success(let value): return try json(value)
        case .failure(let error): return failure(error)
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return raw(String(decoding: try encoder.encode(value), as: UTF8.self), status: status)
    }

    static func raw(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func failure(_ anyError: any Error) -> Response {
        let error = anyError as? Supervisor.OperationError ?? Supervisor.OperationError("\(anyError)", status: 500)
        return (try? json(ErrorBody(error: error.description, status: error.status), status: .init(code: error.status)))
            ?? raw("{\"error\":\"internal\"}", status: .internalServerError)
    }

    public struct ErrorBody: Codable, Sendable {
        public var error: String
        public var status: Int
    }
}
