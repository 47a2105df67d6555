import HTTPServer
import Logging
import Postgres
import Resilience

/// The tenant-whatsapp responder: routes each request to its handler and maps every failure to the error envelope.
///
/// One instance serves every worker thread: the handlers hold only shared, thread-safe dependencies (the
/// PostgreSQL pool, the pooled Evolution clients behind their circuit breaker, the per-tenant limits).
public final class Application: HTTPResponder {
    private let router: Router<any RouteHandler>

    /// An application with these route handlers.
    init(router: Router<any RouteHandler>) {
        self.router = router
    }

    /// Routes `request` and answers it; every error becomes the envelope.
    public func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        switch router.match(method: request.method, path: request.path) {
        case .found(let handler, let pattern, let parameters):
            context.route = pattern
            do {
                return try handler.handle(request, parameters: parameters, context: context)
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
    ) -> HTTPResponse {
        switch failure {
        case .payloadTooLarge: APIError(.payloadTooLarge).response(requestID: context.requestID)
        case .incompleteBody: APIError(.invalidBody).response(requestID: context.requestID)
        }
    }

    /// The routes of the API around the WhatsApp `dependencies` and a readiness check.
    static func router(
        whatsApp dependencies: WhatsAppDependencies, checkDatabase: @escaping @Sendable () throws(PostgresError) -> Void
    ) -> Router<any RouteHandler> {
        var router = Router<any RouteHandler>()
        router.add(.get, "/api/health", HealthHandler())
        router.add(
            .get, "/api/ready",
            ReadyHandler(checkDatabase: checkDatabase, breakerState: { dependencies.evolution.breakerState }))
        router.add(.post, "/api/tenants/{tenantId}/whatsapp/connect", ConnectHandler(dependencies: dependencies))
        router.add(.get, "/api/tenants/{tenantId}/whatsapp/status", StatusHandler(dependencies: dependencies))
        router.add(
            .delete, "/api/tenants/{tenantId}/whatsapp/disconnect", DisconnectHandler(dependencies: dependencies))
        return router
    }
}
