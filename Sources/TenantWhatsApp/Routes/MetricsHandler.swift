import HTTPServer
import Prometheus

/// `GET /api/metrics` → 200: every metric of this process in Prometheus' text format (0.0.4), for a scraper.
///
/// nginx serves the route to loopback and to the addresses an operator allows, and answers everyone else 403
/// `forbidden` itself (`nginx/tenant-whatsapp.locations.conf`); the responder's socket is reachable by nginx only.
/// The gauges that describe a state rather than events (the PostgreSQL pool, the circuit breaker) are sampled just
/// before the registry is written. Each responder process has its own metrics: scrape each one (or run one).
/// Nothing in the exposition names a tenant or an instance, or holds a secret.
struct MetricsHandler: RouteHandler {
    /// Where the metrics live: the registry `MetricsSystem` was bootstrapped with.
    let registry: PrometheusCollectorRegistry
    /// Sets the gauges sampled at scrape time.
    let sampleGauges: @Sendable () -> Void

    /// The exposition format's media type.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        sampleGauges()
        var body: [UInt8] = []
        registry.emit(into: &body)
        return HTTPResponse(
            status: .ok, headers: HTTPHeaders([("Content-Type", Self.contentType), ("Cache-Control", "no-store")]),
            body: body)
    }
}
