import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Turns what the generated server throws into the API's error body: a request it could not
/// decode (not JSON, a missing field, a wrong type) is a 400 naming the problem; anything else
/// a 500 with its description (instead of an empty 500).
struct RequestErrorMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch let error as ServerError {
            let undecoded = error.operationInput == nil
            let status = undecoded ? 400 : 500
            let message =
                undecoded
                ? "\(operationID): the request is not what the API takes (docs/openapi.yaml): \(Self.reason(error.underlyingError))"
                : "\(operationID): \(error.causeDescription): \(error.underlyingError)"
            let payload = (try? JSONEncoder().encode(OrchestratorServer.ErrorBody(error: message, status: status))) ?? Data()
            var response = HTTPResponse(status: .init(code: status))
            response.headerFields[.contentType] = "application/json"
            return (response, HTTPBody(payload))
        }
    }

    /// A decoding error in a sentence.
    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return "not valid JSON (\(context.debugDescription))"
        case DecodingError.keyNotFound(let key, _): return "the field \"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
