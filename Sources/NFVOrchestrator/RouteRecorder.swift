import HTTPTypes
import OpenAPIRuntime

/// A server transport that only remembers what is registered on it (`METHOD PATH`), so the
/// routes generated from the OpenAPI document can be listed.
final class RouteRecorder: ServerTransport {
    private(set) var routes: [String] = []

    func register(
        _ handler: @Sendable @escaping (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        routes.append("\(method.rawValue) \(path)")
    }
}
