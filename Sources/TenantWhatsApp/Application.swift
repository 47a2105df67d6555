import HTTPServer
import Logging
import Postgres

/// The tenant-whatsapp responder for one worker thread: routes each request to its handler and maps every
/// failure to the error envelope.
///
/// One instance per thread, owning that thread's PostgreSQL session (connected lazily, reconnected after loss).
public final class Application: HTTPResponder {
    let database: PostgresSession
    let logger: Logger

    /// An application for one worker thread.
    public init(configuration: Configuration, logger: Logger) {
        self.database = PostgresSession(
            connectionString: configuration.databaseURL,
            sessionSettings: ["SET statement_timeout = \(configuration.statementTimeoutMilliseconds)"])
        self.logger = logger
    }

    /// Routes `request` and answers it; every error becomes the envelope.
    public func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        switch Endpoint.router.match(method: request.method, path: request.path) {
        case .found(let endpoint, let pattern, _):
            context.route = pattern
            do {
                return try handle(endpoint, request: request, context: context)
            } catch {
                return error.response(requestID: context.requestID)
            }
        case .methodNotAllowed(let allowed, let pattern):
            context.route = pattern
            return APIError.methodNotAllowed(allowed: allowed).response(requestID: context.requestID)
        case .notFound:
            return APIError(.notFound).response(requestID: context.requestID)
        }
    }

    /// 413 `payload_too_large` or 400 `invalid_body`, in the envelope.
    public func respond(
        to failure: HTTPRequestFailure, request: HTTPRequest, context: RequestContext
    )
        -> HTTPResponse
    {
        switch failure {
        case .payloadTooLarge: APIError(.payloadTooLarge).response(requestID: context.requestID)
        case .incompleteBody: APIError(.invalidBody).response(requestID: context.requestID)
        }
    }

    private func handle(
        _ endpoint: Endpoint, request: HTTPRequest, context: RequestContext
    ) throws(APIError)
        -> HTTPResponse
    {
        switch endpoint {
        case .health: health()
        case .ready: try ready(context: context)
        }
    }
}
