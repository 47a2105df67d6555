import HTTPServer
import JSON

/// An error answered to the caller in the contract's envelope:
/// `{"success":false,"error":"<code>","message":"<pt-BR>","requestId":"<id>"}`.
public struct APIError: Error, Sendable, Equatable {
    /// The machine code; it decides the status.
    public let code: ErrorCode
    /// The message for people; the code's default unless a more precise one applies.
    public let message: String
    /// Extra headers, e.g. `Allow` on 405 or `WWW-Authenticate` on 401.
    public let headers: HTTPHeaders

    /// An error with `code`, its default message unless `message` is given, and `headers`.
    public init(_ code: ErrorCode, message: String? = nil, headers: HTTPHeaders = HTTPHeaders()) {
        self.code = code
        self.message = message ?? code.message
        self.headers = headers
    }

    /// The envelope as a JSON response for the request `requestID`.
    public func response(requestID: String) -> HTTPResponse {
        let body: JSONValue = [
            "success": false, "error": .string(code.rawValue), "message": .string(message),
            "requestId": .string(requestID),
        ]
        return .json(code.status, body, headers: headers)
    }

    /// 405 with the `Allow` header listing `allowed`.
    public static func methodNotAllowed(allowed: [HTTPMethod]) -> APIError {
        APIError(
            .methodNotAllowed, headers: HTTPHeaders([("Allow", allowed.map(\.rawValue).joined(separator: ", "))]))
    }
}
