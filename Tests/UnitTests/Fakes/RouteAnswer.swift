import HTTPServer
import JSON

@testable import TenantWhatsApp

/// A response as the tests read it.
struct RouteAnswer: Sendable {
    let status: Int
    let headers: HTTPHeaders
    /// The body, parsed (`null` when it is not JSON).
    let body: JSONValue

    init(_ response: HTTPResponse) {
        status = response.status.code
        headers = response.headers
        body = (try? JSONParser().parse(response.body)) ?? .null
    }

    /// The envelope's `error` code.
    var error: String? { body["error"]?.stringValue }
    /// The `Retry-After` header.
    var retryAfter: String? { headers["Retry-After"] }

    /// The error envelope the contract defines for `code` and this kit's request id.
    static func envelope(_ code: ErrorCode) -> JSONValue {
        [
            "success": false, "error": .string(code.rawValue), "message": .string(code.message),
            "requestId": .string(FlowTestKit.requestID),
        ]
    }
}
