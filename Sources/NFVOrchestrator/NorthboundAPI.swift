import Foundation
import OpenAPIRuntime

/// The daemon's API as openapi.yaml describes it: swift-openapi-generator turns the document
/// into `APIProtocol` (one method per operation, with its typed input and output) and the
/// routes that call it; this type implements each operation over the supervisor. The
/// supervisor's own values cross into the document's types by JSON (`convert`), so a field
/// the document does not describe cannot reach a client, and one it requires cannot be left
/// out without an error here.
struct NorthboundAPI: APIProtocol {
    let supervisor: Supervisor

    typealias Schemas = Components.Schemas

    // MARK: chains

    func getOpenAPIDocument(_ input: Operations.getOpenAPIDocument.Input) async throws -> Operations.getOpenAPIDocument.Output {
        .ok(.init(body: .yaml(HTTPBody(PackageResources.openapi_yaml))))
    }

    func listChains(_ input: Operations.listChains.Input) async throws -> Operations.listChains.Output {
        .ok(.init(body: .json(try Self.convert(await OrchestratorServer.blocking { supervisor.list() }))))
    }

    func getChain(_ input: Operations.getChain.Input) async throws -> Operations.getChain.Output {
        let name = input.path.name
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.status(name) }) {
        case .success(let status): return .ok(.init(body: .json(try Self.convert(status))))
        case .failure(let error): return error.status == 404 ? .notFound(Self.body(error)) : .undocumented(error)
        }
    }

    func getChainSnapshot(_ input: Operations.getChainSnapshot.Input) async throws -> Operations.getChainSnapshot.Output {
        let name = input.path.name
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.snapshot(name) }) {
        case .success(let snapshot): return .ok(.init(body: .json(try Self.convert(snapshot))))
        case .failure(let error): return error.status == 404 ? .notFound(Self.body(error)) : .undocumented(error)
        }
    }

    func getChainStats(_ input: Operations.getChainStats.Input) async throws -> Operations.getChainStats.Output {
        let name = input.path.name
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.stats(name) }) {
        case .success(let json): return .ok(.init(body: .json(try Self.decode(json))))
        case .failure(let error):
            switch error.status {
            case 404: return .notFound(Self.body(error))
            case 503: return .serviceUnavailable(Self.body(error))
            default: return .undocumented(error)
            }
        }
    }

    func getChainFlows(_ input: Operations.getChainFlows.Input) async throws -> Operations.getChainFlows.Output {
        let name = input.path.name
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.dataplaneCommand(name, "flows") }) {
        case .success(let text): return .ok(.init(body: .json(.init(message: text))))
        case .failure(let error):
            switch error.status {
            case 404: return .notFound(Self.body(error))
            case 409: return .conflict(Self.body(error))
            default: return .undocumented(error)
            }
        }
    }

    func changeChainFlows(_ input: Operations.changeChainFlows.Input) async throws -> Operations.changeChainFlows.Output {
        let name = input.path.name
        guard case .json(let change) = input.body else { return .undocumented(Supervisor.OperationError("a JSON body is needed")) }
        let command = change.add.map { "add-flow " + $0 } ?? "del-flows " + (change.delete ?? "")
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.dataplaneCommand(name, command) }) {
        case .success(let text): return .ok(.init(body: .json(.init(message: text))))
        case .failure(let error):
            switch error.status {
            case 404: return .notFound(Self.body(error))
            case 409: return .conflict(Self.body(error))
            default: return .undocumented(error)
            }
        }
    }

    func restartChain(_ input: Operations.restartChain.Input) async throws -> Operations.restartChain.Output {
        let name = input.path.name
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.restart(name) }) {
        case .success(let text): return .ok(.init(body: .json(.init(message: text))))
        case .failure(let error):
            switch error.status {
            case 404: return .notFound(Self.body(error))
            case 500: return .internalServerError(Self.body(error))
            default: return .undocumented(error)
            }
        }
    }

    func getChainConnections(_ input: Operations.getChainConnections.Input) async throws -> Operations.getChainConnections.Output {
        let name = input.path.name
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.dataplaneCommand(name, "conntrack") }) {
        case .success(let json): return .ok(.init(body: .json(try Self.decode(json))))
        case .failure(let error):
            switch error.status {
            case 404: return .notFound(Self.body(error))
            case 503: return .serviceUnavailable(Self.body(error))
            default: return .undocumented(error)
            }
        }
    }

    func getChainNATMappings(_ input: Operations.getChainNATMappings.Input) async throws -> Operations.getChainNATMappings.Output {
        let name = input.path.name
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.dataplaneCommand(name, "nat") }) {
        case .success(let json): return .ok(.init(body: .json(try Self.decode(json))))
        case .failure(let error):
            switch error.status {
            case 404: return .notFound(Self.body(error))
            case 503: return .serviceUnavailable(Self.body(error))
            default: return .undocumented(error)
            }
        }
    }

    // MARK: deploying

    func planChain(_ input: Operations.planChain.Input) async throws -> Operations.planChain.Output {
        guard case .json(let body) = input.body else { return .undocumented(Supervisor.OperationError("a JSON body is needed")) }
        let snapshot: ChainSnapshot = try Self.convert(body)
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.plan(snapshot) }) {
        case .success(let plan): return .ok(.init(body: .json(try Self.convert(plan))))
        case .failure(let error):
            switch error.status {
            case 400: return .badRequest(Self.body(error))
            case 409: return .conflict(Self.body(error))
            default: return .undocumented(error)
            }
        }
    }

    func deployChain(_ input: Operations.deployChain.Input) async throws -> Operations.deployChain.Output {
        guard case .json(let body) = input.body else { return .undocumented(Supervisor.OperationError("a JSON body is needed")) }
        let request: OrchestratorServer.DeployRequest = try Self.convert(body)
        switch await perform({ () throws(Supervisor.OperationError) in
            try supervisor.deploy(request.snapshot, allowRestart: request.allowRestart, wait: request.wait)
        }) {
        case .success(let result): return .ok(.init(body: .json(try Self.convert(result))))
        case .failure(let error):
            switch error.status {
            case 400: return .badRequest(Self.body(error))
            case 409: return .conflict(Self.body(error))
            case 500: return .internalServerError(Self.body(error))
            case 503: return .serviceUnavailable(Self.body(error))
            default: return .undocumented(error)
            }
        }
    }

    func undeployChain(_ input: Operations.undeployChain.Input) async throws -> Operations.undeployChain.Output {
        guard case .json(let body) = input.body else { return .undocumented(Supervisor.OperationError("a JSON body is needed")) }
        switch await perform({ () throws(Supervisor.OperationError) in try supervisor.undeploy(body.name, force: body.force) }) {
        case .success(let text): return .ok(.init(body: .json(.init(message: text))))
        case .failure(let error): return error.status == 404 ? .notFound(Self.body(error)) : .undocumented(error)
        }
    }

    // MARK: events and metrics

    func listEvents(_ input: Operations.listEvents.Input) async throws -> Operations.listEvents.Output {
        let after = input.query.after ?? 0
        let events = await OrchestratorServer.blocking { (try? supervisor.store.events(after: after)) ?? [] }
        return .ok(.init(body: .json(try Self.convert(events))))
    }

    func getMetrics(_ input: Operations.getMetrics.Input) async throws -> Operations.getMetrics.Output {
        let text = await OrchestratorServer.blocking { Metrics.text(supervisor) }
        return .ok(.init(body: .plainText(HTTPBody(text))))
    }

    // MARK: helpers

    /// Runs a blocking supervisor call off the cooperative threads.
    func perform<T: Sendable>(_ work: @escaping @Sendable () throws(Supervisor.OperationError) -> T) async -> Result<T, Supervisor.OperationError> {
        await OrchestratorServer.blocking { Result { () throws(Supervisor.OperationError) in try work() } }
    }

    /// `value` as the document's type `T` (or the other way round), through JSON.
    static func convert<T: Decodable>(_ value: some Encodable) throws -> T {
        try JSONDecoder().decode(T.self, from: try JSONEncoder().encode(value))
    }

    /// A data plane's JSON answer as the document's type `T`.
    static func decode<T: Decodable>(_ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    /// The document's error response for `error`.
    static func body(_ error: Supervisor.OperationError) -> Components.Responses._Error {
        .init(body: .json(.init(error: error.description, status: error.status)))
    }
}

extension UndocumentedPayload {
    /// An error the document does not list for this operation: its status and JSON body as
    /// any other error's (an API test fails on it, so the document gets fixed).
    init(_ error: Supervisor.OperationError) {
        let body = (try? JSONEncoder().encode(OrchestratorServer.ErrorBody(error: error.description, status: error.status))) ?? Data()
        self.init(headerFields: [.contentType: "application/json"], body: HTTPBody(body))
    }
}

/// An operation's output, which has a case for statuses the document does not list.
protocol UndocumentedOutput {
    static func undocumented(statusCode: Int, _ payload: UndocumentedPayload) -> Self
}

extension UndocumentedOutput {
    /// `error` as an undocumented response.
    static func undocumented(_ error: Supervisor.OperationError) -> Self { .undocumented(statusCode: error.status, .init(error)) }
}

extension Operations.getChain.Output: UndocumentedOutput {}
extension Operations.getChainSnapshot.Output: UndocumentedOutput {}
extension Operations.getChainStats.Output: UndocumentedOutput {}
extension Operations.getChainFlows.Output: UndocumentedOutput {}
extension Operations.changeChainFlows.Output: UndocumentedOutput {}
extension Operations.restartChain.Output: UndocumentedOutput {}
extension Operations.getChainConnections.Output: UndocumentedOutput {}
extension Operations.getChainNATMappings.Output: UndocumentedOutput {}
extension Operations.planChain.Output: UndocumentedOutput {}
extension Operations.deployChain.Output: UndocumentedOutput {}
extension Operations.undeployChain.Output: UndocumentedOutput {}
