import HTTPServer
import JSON

/// A refused control-API request (`/_sim/…`), answered as `{"error":"…"}` with its status.
struct SimulatorControlError: Error, Sendable, Equatable {
    let status: HTTPStatus
    let message: String

    static func badRequest(_ message: String) -> SimulatorControlError {
        SimulatorControlError(status: .badRequest, message: message)
    }

    static func notFound(_ message: String) -> SimulatorControlError {
        SimulatorControlError(status: .notFound, message: message)
    }

    static func conflict(_ message: String) -> SimulatorControlError {
        SimulatorControlError(status: .conflict, message: message)
    }

    var response: HTTPResponse {
        .json(status, ["error": .string(message)])
    }
}
