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

    /// Every route, as `(method, pattern)`.
    var routes: [(method: HTTPMethod, pattern: String)] {
        router.routes
    }

    /// The largest body any route accepts: the webhook's 64 KiB when that route exists, else 16 KiB.
    public var largestBodyLimit: Int {
        router.largestBodyLimit
    }

    /// The largest webhook delivery: 64 KiB (a QR code's data URL is large), as nginx's limit on that location. Every
    /// other route takes the router's 16 KiB, as nginx's `client_max_body_size 16k`.
    static let webhookBodyLimit = 64 * 1024
    /// The start of every metric's name: `tenant_whatsapp_http_requests_total`, `tenant_whatsapp_evolution_calls_total`…
    public static let metricsPrefix = "tenant_whatsapp_"
    /// The buckets of every duration histogram: from 1 ms (health, a pool borrow) to 60 s (a connect that waits for its
    /// QR code, nginx's `fastcgi_read_timeout`), where swift-prometheus' defaults run from 5 ms to 10 s.
    public static let metricsDurationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    /// Routes `request` and answers it; every error becomes the envelope.
    public func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse {
        switch router.match(method: request.method, path: request.path) {
        case .found(let handler, let pattern, let parameters, let bodyLimit):
            context.route = pattern
            // The bridge reads up to the largest limit of any route; this route may take less.
            guard request.body.count <= bodyLimit else {
                return APIError(.payloadTooLarge).response(requestID: context.requestID)
            }
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
    ///
    /// `POST /api/evolution/webhook[/{serverId}]` exists only with webhooks configured (`webhook`), `GET /api/metrics` only with a
    /// registry to write (`metrics`), the event stream's ticket and subscription routes only with a ticket store
    /// (`tickets`); without, each is a 404 like any unknown path.
    static func router(
        whatsApp dependencies: WhatsAppDependencies, tickets: (any EventTicketStore)? = nil,
        webhook: EvolutionWebhookHandler? = nil,
        metrics: MetricsHandler? = nil, checkDatabase: @escaping @Sendable () throws(PostgresError) -> Void
    ) -> Router<any RouteHandler> {
        var router = Router<any RouteHandler>()
        router.add(.get, "/api/health", HealthHandler())
        router.add(
            .get, "/api/ready",
            ReadyHandler(checkDatabase: checkDatabase, servers: { dependencies.servers.readiness() }))
        router.add(.post, "/api/tenants/{tenantId}/whatsapp/connect", ConnectHandler(dependencies: dependencies))
        router.add(.get, "/api/tenants/{tenantId}/whatsapp/status", StatusHandler(dependencies: dependencies))
        router.add(
            .delete, "/api/tenants/{tenantId}/whatsapp/disconnect", DisconnectHandler(dependencies: dependencies))
        if let tickets {
            // Live only when a change reaches the stream by itself: Evolution pushes it, and it is published.
            let isLive = dependencies.settings.webhooks && dependencies.publisher.isPublishing
            router.add(
                .post, "/api/tenants/{tenantId}/whatsapp/events/ticket",
                EventTicketHandler(authorizer: dependencies.authorizer, tickets: tickets, isLive: isLive))
            router.add(
                .get, "/api/tenants/{tenantId}/whatsapp/events",
                EventsHandler(tickets: tickets, publisher: dependencies.publisher, isLive: isLive))
        }
        if let webhook {
            router.add(.post, "/api/evolution/webhook", webhook, bodyLimit: webhookBodyLimit)
            router.add(.post, "/api/evolution/webhook/{serverId}", webhook, bodyLimit: webhookBodyLimit)
        }
        if let metrics { router.add(.get, "/api/metrics", metrics) }
        return router
    }
}
