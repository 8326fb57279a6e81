import Hummingbird

/// A router that remembers what was registered on it (`METHOD PATH`), so the API's routes can
/// be checked against its OpenAPI document.
final class RouteRecorder {
    let router = Router()
    private(set) var routes: [String] = []

    func get(_ path: String, use handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
        routes.append("GET \(path)")
        router.get(RouterPath(path), use: handler)
    }

    func post(_ path: String, use handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
        routes.append("POST \(path)")
        router.post(RouterPath(path), use: handler)
    }
}
