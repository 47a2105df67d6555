import HTTPServer
import Logging
import Prometheus
import Testing

@testable import TenantWhatsApp

/// `GET /api/metrics`: the registry's exposition as Prometheus reads it, with the sampled gauges fresh; and the
/// route exists only where a registry was given (serve gives one; unit tests have none and record nothing).
@Suite("Metrics handler")
struct MetricsHandlerTests {
    private static func get(_ path: String, from application: Application) -> HTTPResponse {
        application.respond(
            to: HTTPRequest(method: .get, path: path, requestID: "r"), context: RequestContext(requestID: "r"))
    }

    @Test func writesTheRegistryInPrometheusTextFormatAfterSamplingTheGauges() throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "probe_total", labels: [("kind", "test")]).increment(by: Int64(2))
        let sampled = registry.makeGauge(name: "sampled_now")
        let handler = MetricsHandler(registry: registry, sampleGauges: { sampled.set(to: 7) })

        let response = try handler.handle(
            HTTPRequest(method: .get, path: "/api/metrics", requestID: "r"), parameters: [:],
            context: RequestContext(requestID: "r"))

        #expect(response.status.code == 200)
        #expect(response.headers.values(for: "Content-Type") == ["text/plain; version=0.0.4; charset=utf-8"])
        #expect(response.headers.values(for: "Cache-Control") == ["no-store"])
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("# TYPE probe_total counter\n"))
        let samples = MetricsCapture.samples(in: text)
        #expect(samples[#"probe_total{kind="test"}"#] == 2)
        #expect(samples["sampled_now"] == 7, "the gauges are sampled before the registry is written")
    }

    @Test func theApplicationServesMetricsOnlyWithARegistry() throws {
        let configuration = try Configuration.load(from: AuthorizationTests.environment())
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let without = try Application(configuration: configuration, logger: logger)
        #expect(Self.get("/api/metrics", from: without).status.code == 404)

        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "probe_total").increment()
        let with = try Application(configuration: configuration, logger: logger, metricsRegistry: registry)
        // Sampling reads the pool's counters and the breaker's state: no connection is made, nothing crashes.
        let response = Self.get("/api/metrics", from: with)
        #expect(response.status.code == 200)
        #expect(MetricsCapture.samples(in: String(decoding: response.body, as: UTF8.self))["probe_total"] == 1)
        #expect(Self.get("/api/metrics/", from: with).status.code == 404, "the raw path must match exactly")
    }

    @Test func forbiddenIsNginxsOwn403() {
        #expect(ErrorCode.forbidden.status.code == 403)
        #expect(ErrorCode.forbidden.message == "Acesso negado.")
    }
}
