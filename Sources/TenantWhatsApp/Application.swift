import HTTPServer
import Logging
import Postgres

/// The tenant-whatsapp responder for one worker thread: routes each request to its handler and maps every
/// failure to the error envelope.
///
/// One instance per thread, owning that thread's PostgreSQL session (connected lazily, reconnected after loss) and
/// its Evolution client (one libcurl handle, kept alive). The JWT key inside the authenticator is shared,
/// read-only, by all of them.
public final class Application: HTTPResponder {
    let configuration: Configuration
    let database: PostgresSession
    let store: TenantStore
    let auditTrail: AuditTrail
    let authenticator: Authenticator
    let logger: Logger
    /// Made on first use (see `evolutionClient()`), so that a thread that never calls Evolution holds no handle.
    var evolution: EvolutionClient?

    /// An application for one worker thread.
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.database = PostgresSession(
            connectionString: configuration.databaseURL,
            sessionSettings: ["SET statement_timeout = \(configuration.statementTimeoutMilliseconds)"])
        self.store = TenantStore(database: database)
        self.auditTrail = AuditTrail(database: database, logger: logger)
        self.authenticator = Authenticator(settings: configuration.authentication)
        self.logger = logger
    }

    /// Routes `request` and answers it; every error becomes the envelope.
    public func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        switch Endpoint.router.match(method: request.method, path: request.path) {
        case .found(let endpoint, let pattern, let parameters):
            context.route = pattern
            do {
                return try handle(endpoint, request: request, parameters: parameters, context: context)
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
        _ endpoint: Endpoint, request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError)
        -> HTTPResponse
    {
        switch endpoint {
        case .health: health()
        case .ready: try ready(context: context)
        case .connect: try connect(request, parameters: parameters, context: context)
        case .status: try status(request, parameters: parameters, context: context)
        case .disconnect: try disconnect(request, parameters: parameters, context: context)
        }
    }
}
