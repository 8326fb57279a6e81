import Dispatch
import Foundation
import Hummingbird
import NFVPipeline
import OpenAPIHummingbird

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's HTTP+JSON API on a unix socket (mode 0600: only root connects), served from
/// its OpenAPI document (openapi.yaml, linked as docs/openapi.yaml): swift-openapi-generator
/// makes the types and routes, `NorthboundAPI` implements the operations over the supervisor,
/// Hummingbird serves them (swift-openapi-hummingbird). The document itself is served at
/// /v1/openapi.yaml. Errors are `{"error": "...", "status": N}` with the same HTTP status.
/// The request and answer types here are what the `nfv-orch` client encodes and decodes; a
/// test drives every operation with curl and checks the answers against the document.
public enum OrchestratorServer {
    /// `POST /v1/restore`: a chain's files and runtime state.
    public struct RestoreRequest: Codable, Sendable {
        public var snapshot: ChainSnapshot
        public var state: ChainState
        public var wait: Bool
        public init(snapshot: ChainSnapshot, state: ChainState, wait: Bool) {
            self.snapshot = snapshot
            self.state = state
            self.wait = wait
        }
    }

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
        let router = try makeRouter(supervisor)
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

    /// The API's routes (`METHOD PATH`) as the generated server registers them: a test
    /// compares them with docs/openapi.yaml.
    public static func routes(_ supervisor: Supervisor) throws -> [String] {
        let recorder = RouteRecorder()
        try NorthboundAPI(supervisor: supervisor).registerHandlers(on: recorder)
        return recorder.routes
    }

    /// A router serving the API: the routes generated from openapi.yaml, over `NorthboundAPI`.
    static func makeRouter(_ supervisor: Supervisor) throws -> Router<BasicRequestContext> {
        let router = Router()
        try NorthboundAPI(supervisor: supervisor).registerHandlers(on: router, middlewares: [RequestErrorMiddleware()])
        return router
    }

    /// Runs blocking work (process control, SQLite, sockets) off Swift's cooperative threads.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    public struct ErrorBody: Codable, Sendable {
        public var error: String
        public var status: Int
    }
}
