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

    // MARK: chains

    func getOpenAPIDocument(_ input: Operations.getOpenAPIDocument.Input) async throws -> Operations.getOpenAPIDocument.Output {
        .ok(.init(body: .yaml(HTTPBody(PackageResources.openapi_yaml))))
    }

    func listChains(_ input: Operations.listChains.Input) async throws -> Operations.listChains.Output {
        .ok(.init(body: .json(try Self.convert(await OrchestratorServer.blocking { supervisor.list() }))))
    }

    func getChain(_ input: Operations.getChain.Input) async throws -> Operations.getChain.Output {
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.status(name) }, ok: { .ok(.init(body: .json(try Self.convert($0)))) },
            errors: [404: Operations.getChain.Output.notFound])
    }

    func getChainSnapshot(_ input: Operations.getChainSnapshot.Input) async throws -> Operations.getChainSnapshot.Output {
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.snapshot(name) },
            ok: { .ok(.init(body: .json(try Self.convert($0)))) }, errors: [404: Operations.getChainSnapshot.Output.notFound])
    }

    func getChainStats(_ input: Operations.getChainStats.Input) async throws -> Operations.getChainStats.Output {
        typealias Output = Operations.getChainStats.Output
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.stats(name) }, ok: { .ok(.init(body: .json(try Self.decode($0)))) },
            errors: [404: Output.notFound, 503: Output.serviceUnavailable])
    }

    func getChainFlows(_ input: Operations.getChainFlows.Input) async throws -> Operations.getChainFlows.Output {
        typealias Output = Operations.getChainFlows.Output
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.dataplaneCommand(name, "flows") },
            ok: { .ok(.init(body: .json(.init(message: $0)))) }, errors: [404: Output.notFound, 409: Output.conflict])
    }

    func changeChainFlows(_ input: Operations.changeChainFlows.Input) async throws -> Operations.changeChainFlows.Output {
        typealias Output = Operations.changeChainFlows.Output
        let name = input.path.name
        let change =
            switch input.body {
            case .json(let value): value
            }
        let command = change.add.map { "add-flow " + $0 } ?? "del-flows " + (change.delete ?? "")
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.dataplaneCommand(name, command) },
            ok: { .ok(.init(body: .json(.init(message: $0)))) }, errors: [404: Output.notFound, 409: Output.conflict])
    }

    func restartChain(_ input: Operations.restartChain.Input) async throws -> Operations.restartChain.Output {
        typealias Output = Operations.restartChain.Output
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.restart(name) },
            ok: { .ok(.init(body: .json(.init(message: $0)))) }, errors: [404: Output.notFound, 500: Output.internalServerError])
    }

    func migrateChain(_ input: Operations.migrateChain.Input) async throws -> Operations.migrateChain.Output {
        typealias Output = Operations.migrateChain.Output
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.migrate(name) },
            ok: { .ok(.init(body: .json(.init(message: $0)))) },
            errors: [404: Output.notFound, 409: Output.conflict, 500: Output.internalServerError])
    }

    func listChainAttachments(_ input: Operations.listChainAttachments.Input) async throws -> Operations.listChainAttachments.Output {
        typealias Output = Operations.listChainAttachments.Output
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.attachments(name) },
            ok: { .ok(.init(body: .json(try Self.convert($0)))) }, errors: [404: Output.notFound, 503: Output.serviceUnavailable])
    }

    func attachContainer(_ input: Operations.attachContainer.Input) async throws -> Operations.attachContainer.Output {
        typealias Output = Operations.attachContainer.Output
        let name = input.path.name
        guard case .json(let body) = input.body else { return .badRequest(Self.body(.init("a JSON body is required", status: 400))) }
        let request = Supervisor.AttachmentRequest(
            port: body.port, containerID: body.containerID, namespacePath: body.namespacePath, interface: body.interface)
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.attach(name, request) },
            ok: { .ok(.init(body: .json(try Self.convert($0)))) },
            errors: [400: Output.badRequest, 404: Output.notFound, 409: Output.conflict, 503: Output.serviceUnavailable])
    }

    func detachContainer(_ input: Operations.detachContainer.Input) async throws -> Operations.detachContainer.Output {
        typealias Output = Operations.detachContainer.Output
        let (name, containerID, interface) = (input.path.name, input.path.containerID, input.path.interface)
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.detach(name, containerID: containerID, interface: interface) },
            ok: { .ok(.init(body: .json(.init(message: $0)))) }, errors: [404: Output.notFound])
    }

    func getChainConnections(_ input: Operations.getChainConnections.Input) async throws -> Operations.getChainConnections.Output {
        typealias Output = Operations.getChainConnections.Output
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.dataplaneCommand(name, "conntrack") },
            ok: { .ok(.init(body: .json(try Self.decode($0)))) }, errors: [404: Output.notFound, 503: Output.serviceUnavailable])
    }

    func getChainNATMappings(_ input: Operations.getChainNATMappings.Input) async throws -> Operations.getChainNATMappings.Output {
        typealias Output = Operations.getChainNATMappings.Output
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.dataplaneCommand(name, "nat") },
            ok: { .ok(.init(body: .json(try Self.decode($0)))) }, errors: [404: Output.notFound, 503: Output.serviceUnavailable])
    }

    func getChainState(_ input: Operations.getChainState.Input) async throws -> Operations.getChainState.Output {
        typealias Output = Operations.getChainState.Output
        let name = input.path.name
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.state(name) },
            ok: { .ok(.init(body: .json(try Self.convert($0)))) }, errors: [404: Output.notFound, 503: Output.serviceUnavailable])
    }

    func restoreChain(_ input: Operations.restoreChain.Input) async throws -> Operations.restoreChain.Output {
        typealias Output = Operations.restoreChain.Output
        let body =
            switch input.body {
            case .json(let value): value
            }
        let request: OrchestratorServer.RestoreRequest = try Self.convert(body)
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.restore(request.snapshot, state: request.state, wait: request.wait) },
            ok: { .ok(.init(body: .json(try Self.convert($0)))) },
            errors: [400: Output.badRequest, 409: Output.conflict, 500: Output.internalServerError])
    }

    // MARK: deploying

    func planChain(_ input: Operations.planChain.Input) async throws -> Operations.planChain.Output {
        typealias Output = Operations.planChain.Output
        let body =
            switch input.body {
            case .json(let value): value
            }
        let snapshot: ChainSnapshot = try Self.convert(body)
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.plan(snapshot) }, ok: { .ok(.init(body: .json(try Self.convert($0)))) },
            errors: [400: Output.badRequest, 409: Output.conflict])
    }

    func deployChain(_ input: Operations.deployChain.Input) async throws -> Operations.deployChain.Output {
        typealias Output = Operations.deployChain.Output
        let body =
            switch input.body {
            case .json(let value): value
            }
        let request: OrchestratorServer.DeployRequest = try Self.convert(body)
        return try await answer(
            { () throws(Supervisor.OperationError) in
                try supervisor.deploy(request.snapshot, allowRestart: request.allowRestart, wait: request.wait)
            }, ok: { .ok(.init(body: .json(try Self.convert($0)))) },
            errors: [400: Output.badRequest, 409: Output.conflict, 500: Output.internalServerError, 503: Output.serviceUnavailable])
    }

    func undeployChain(_ input: Operations.undeployChain.Input) async throws -> Operations.undeployChain.Output {
        typealias Output = Operations.undeployChain.Output
        let body =
            switch input.body {
            case .json(let value): value
            }
        return try await answer(
            { () throws(Supervisor.OperationError) in try supervisor.undeploy(body.name, force: body.force) },
            ok: { .ok(.init(body: .json(.init(message: $0)))) }, errors: [400: Output.badRequest, 404: Output.notFound])
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

    /// Runs a blocking supervisor call off the cooperative threads: its value becomes `ok`'s
    /// response, an error the response the operation documents for its status (`errors`), or,
    /// for a status the document does not list, an undocumented response.
    func answer<T: Sendable, Output: UndocumentedOutput>(
        _ work: @escaping @Sendable () throws(Supervisor.OperationError) -> T, ok: (T) throws -> Output,
        errors: [Int: (Components.Responses._Error) -> Output]
    ) async throws -> Output {
        let result = await OrchestratorServer.blocking { Result { () throws(Supervisor.OperationError) in try work() } }
        switch result {
        case .success(let value): return try ok(value)
        case .failure(let error): return errors[error.status].map { $0(Self.body(error)) } ?? .undocumented(error)
        }
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
extension Operations.migrateChain.Output: UndocumentedOutput {}
extension Operations.getChainConnections.Output: UndocumentedOutput {}
extension Operations.listChainAttachments.Output: UndocumentedOutput {}
extension Operations.attachContainer.Output: UndocumentedOutput {}
extension Operations.detachContainer.Output: UndocumentedOutput {}
extension Operations.getChainNATMappings.Output: UndocumentedOutput {}
extension Operations.getChainState.Output: UndocumentedOutput {}
extension Operations.restoreChain.Output: UndocumentedOutput {}
extension Operations.planChain.Output: UndocumentedOutput {}
extension Operations.deployChain.Output: UndocumentedOutput {}
extension Operations.undeployChain.Output: UndocumentedOutput {}
