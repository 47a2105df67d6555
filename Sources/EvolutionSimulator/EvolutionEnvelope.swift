import HTTPServer
import JSON

/// Evolution's answers as the simulator writes them: the error envelope in its three message forms, and the
/// `{"status":"SUCCESS",…}` success shape.
///
/// `{"status":<code>,"error":"<reason>","response":{"message":<message>}}`, where the message is a string for
/// 401 and for unexpected JS errors, an array of strings for business errors, and an array of arrays for
/// JSON-schema errors (docs/simulator.md).
enum EvolutionEnvelope {
    /// 401 `{"status":401,"error":"Unauthorized","response":{"message":"Unauthorized"}}` (a string message).
    static func unauthorized() -> HTTPResponse {
        error(.unauthorized, message: "Unauthorized")
    }

    /// 404 `["The \"x\" instance does not exist"]`, from the instance-exists guard.
    static func instanceDoesNotExist(_ name: String) -> HTTPResponse {
        error(.notFound, messages: ["The \"\(name)\" instance does not exist"])
    }

    /// 404 `["Cannot PUT /instance/restart/x"]`, Express's answer for an unknown route or method.
    static func cannot(_ method: HTTPMethod, _ target: String) -> HTTPResponse {
        error(.notFound, messages: ["Cannot \(method.rawValue) \(target)"])
    }

    /// 403 `["This name \"x\" is already in use."]`, from the create guard.
    static func nameInUse(_ name: String) -> HTTPResponse {
        error(.forbidden, messages: ["This name \"\(name)\" is already in use."])
    }

    /// An error with a business message array: `"message":["…"]`.
    static func error(_ status: HTTPStatus, messages: [String]) -> HTTPResponse {
        error(status, message: .array(messages.map(JSONValue.string)))
    }

    /// An error with JSON-schema messages, wrapped twice: `"message":[["…","…"]]`.
    static func schemaError(_ messages: [String]) -> HTTPResponse {
        error(.badRequest, message: .array([.array(messages.map(JSONValue.string))]))
    }

    /// An error whose message is a plain string (401, unexpected JS errors, body-parser errors).
    static func error(_ status: HTTPStatus, message: String) -> HTTPResponse {
        error(status, message: .string(message))
    }

    /// 400 from Express's JSON body parser, before any guard: the middleware copies no `error` field, so the
    /// handler's default `Internal Server Error` shows (docs/simulator.md: worked out from the code).
    static func malformedJSON(at offset: Int) -> HTTPResponse {
        error(
            .badRequest, message: .string("Unexpected token in JSON at position \(offset)"),
            reason: "Internal Server Error")
    }

    /// 200 `{"status":"SUCCESS","error":false,"response":{"message":"…"}}`.
    static func success(_ message: String) -> HTTPResponse {
        .json(.ok, ["status": "SUCCESS", "error": false, "response": ["message": .string(message)]])
    }

    /// HTTP 200 `{"error":true,"message":"[object Object]"}`: a failure that connect and restart catch themselves.
    static func failureWithOK() -> HTTPResponse {
        .json(.ok, ["error": true, "message": "[object Object]"])
    }

    private static func error(_ status: HTTPStatus, message: JSONValue, reason: String? = nil) -> HTTPResponse {
        .json(
            status,
            [
                "status": .integer(status.code), "error": .string(reason ?? status.reason),
                "response": ["message": message],
            ])
    }
}
