import Logging
import Postgres
import Resilience
import Runtime
import Testing

@testable import HTTPServer
@testable import TenantWhatsApp

/// What the code records, each time into a fresh registry of its own (``MetricsCapture``): requests by route pattern
/// and status, Evolution calls by operation and outcome, webhook deliveries by event and outcome, the pool's waits.
/// Labels never carry a tenant, an instance or a path as it was sent.
@Suite("Metrics recording")
struct MetricsRecordingTests {
    private static let statusPattern = "/api/tenants/{tenantId}/whatsapp/status"
    private static let noLogs = Logger(label: "metrics-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func requestsAreCountedByRoutePatternAndStatusAndTimedByRoute() {
        let capture = MetricsCapture()
        capture.recording {
            let metrics = RequestMetrics(prefix: "p_")
            metrics.started()
            metrics.started()
            metrics.finished(route: Self.statusPattern, status: 200, duration: .milliseconds(3))
            metrics.started()
            metrics.finished(route: Self.statusPattern, status: 200, duration: .milliseconds(30))
            metrics.finished(route: nil, status: 404, duration: .microseconds(200))
        }
        let samples = capture.samples
        #expect(samples[#"p_http_requests_total{route="\#(Self.statusPattern)",status="200"}"#] == 2)
        #expect(samples[#"p_http_requests_total{route="unmatched",status="404"}"#] == 1)
        #expect(samples[#"p_http_request_duration_seconds_count{route="\#(Self.statusPattern)"}"#] == 2)
        #expect(samples[#"p_http_request_duration_seconds_sum{route="\#(Self.statusPattern)"}"#] == 0.033)
        #expect(samples[#"p_http_request_duration_seconds_bucket{route="\#(Self.statusPattern)",le="0.005"}"#] == 1)
        #expect(samples["p_http_requests_in_flight"] == 0, "three started, three finished")
    }

    @Test func evolutionCallsAreCountedByOperationAndOutcomeAndRefusedOnesAreNotTimed() {
        let capture = MetricsCapture()
        let evolution = GuardedEvolution(
            server: .implicitDefault,
            configuration: EvolutionConfiguration(baseURL: "http://127.0.0.1:9", apiKey: "secret-api-key"),
            breaker: CircuitBreaker(failureThreshold: 1, cooldown: .seconds(60)), webhook: nil)
        capture.recording {
            // Port 9 on loopback refuses the connection: unavailable, which opens the breaker (threshold 1)...
            #expect(throws: EvolutionError.unreachable(curlCode: 7)) {
                try evolution.connectionState(instance: "tenant_t1", deadline: .now + .seconds(5))
            }
            // ...so the next call is refused without being sent.
            #expect(throws: EvolutionError.self) { try evolution.connect(instance: "tenant_t1", deadline: .now) }
        }
        let samples = capture.samples
        let calls = EvolutionMetrics.callsName
        let duration = EvolutionMetrics.durationName
        #expect(samples[#"\#(calls){operation="connectionState",outcome="unavailable",server="default"}"#] == 1)
        #expect(samples[#"\#(calls){operation="connect",outcome="circuit_open",server="default"}"#] == 1)
        #expect(samples[#"\#(duration)_count{operation="connectionState",server="default"}"#] == 1)
        #expect(samples[#"\#(duration)_count{operation="connect",server="default"}"#] == nil)
        let text = capture.registry.emitToString()
        #expect(!text.contains("tenant_t1") && !text.contains("secret-api-key"))
    }

    static let outcomes: [(EvolutionError?, String)] = [
        (nil, "ok"), (.notFound, "not_found"), (.nameInUse, "name_in_use"), (.needsLogout, "needs_logout"),
        (.timeout, "timeout"), (.unreachable(curlCode: 7), "unavailable"), (.badResponse(.notJSON), "bad_response"),
        (.server(status: 500, messages: ["boom"]), "server_error"), (.unauthorized, "unauthorized"),
        (.tls(curlCode: 60), "tls"), (.transport(curlCode: 56), "transport"),
        (.circuitOpen(retryAfter: .seconds(1)), "circuit_open"),
    ]

    @Test func everyKindOfEvolutionFailureHasAnOutcomeLabelOfItsOwn() {
        for (failure, label) in Self.outcomes {
            #expect(EvolutionMetrics.outcome(of: failure) == label, "\(failure.map(\.code) ?? "ok")")
        }
        #expect(Set(Self.outcomes.map(\.1)).count == Self.outcomes.count)
    }

    @Test func webhookDeliveriesAreCountedByEventAndOutcome() throws {
        let tenants = FakeTenantRepository()
        tenants.seed(TenantID("t1")!, .instance("tenant_t1", .connecting))
        let settings = try WebhookSettings(url: "http://127.0.0.1/api/evolution/webhook", secret: TestToken.secret)
        let servers = FakeEvolutionServers(FakeEvolution())
        servers.setVerifier(settings.verifier, for: .implicitDefault)
        let handler = EvolutionWebhookHandler(
            servers: servers, tenants: tenants, audit: FakeAuditRecorder(), logger: Self.noLogs)
        let token = TestToken.make(
            claims: #"{"app":"evolution","action":"webhook","iat":\#(TestToken.now),"exp":\#(TestToken.now + 600)}"#)
        func deliver(
            _ event: String, instance: String = "tenant_t1", dateTime: String = Timestamp.now().description,
            token: String? = token
        ) -> Int {
            let body =
                #"{"event":"\#(event)","instance":"\#(instance)","data":{"state":"open"},"date_time":"\#(dateTime)"}"#
            var headers = HTTPHeaders()
            if let token { headers.add(name: "authorization", value: "Bearer \(token)") }
            let request = HTTPRequest(
                method: .post, path: "/api/evolution/webhook", headers: headers, body: Array(body.utf8),
                requestID: "r")
            do {
                return try handler.handle(request, parameters: [:], context: RequestContext(requestID: "r")).status.code
            } catch let error as APIError {
                return error.code.status.code
            } catch {
                return 0
            }
        }
        let capture = MetricsCapture()
        capture.recording {
            #expect(deliver("connection.update") == 200)
            #expect(deliver("connection.update", instance: "tenant_t2") == 200)
            #expect(deliver("application.startup") == 200)
            #expect(deliver("connection.update", token: nil) == 401)
            #expect(deliver("connection.update\"") == 400)
            #expect(deliver("connection.update", dateTime: "2026-02-30T10:00:00.000Z") == 400)
            tenants.failNext(.recordPushedState, with: PostgresError(kind: .connectionLost, message: "server closed"))
            #expect(deliver("connection.update") == 503)
        }
        let samples = capture.samples
        let deliveries = WebhookMetrics.deliveriesName
        #expect(samples[#"\#(deliveries){event="connection.update",outcome="applied"}"#] == 1)
        #expect(samples[#"\#(deliveries){event="connection.update",outcome="ignored"}"#] == 1)
        #expect(samples[#"\#(deliveries){event="other",outcome="ignored"}"#] == 1)
        #expect(samples[#"\#(deliveries){event="unknown",outcome="refused"}"#] == 1)
        #expect(samples[#"\#(deliveries){event="unknown",outcome="invalid"}"#] == 1)
        #expect(samples[#"\#(deliveries){event="connection.update",outcome="invalid"}"#] == 1)
        #expect(samples[#"\#(deliveries){event="connection.update",outcome="failed"}"#] == 1)
        #expect(!capture.registry.emitToString().contains("tenant_t"))
    }

    @Test func thePoolsWaitsAndConnectionsAreRecorded() {
        let capture = MetricsCapture()
        capture.recording {
            let metrics = DatabasePoolMetrics()
            metrics.recordBorrow(waited: .microseconds(40), timedOut: false)
            metrics.recordBorrow(waited: .seconds(2), timedOut: true)
            metrics.sample(PostgresPool.Statistics(open: 5, idle: 2, borrowed: 3, waiting: 1, timeouts: 1))
            EvolutionMetrics.sample(breaker: .halfOpen, server: .implicitDefault)
        }
        let samples = capture.samples
        #expect(samples[DatabasePoolMetrics.inUseName] == 3)
        #expect(samples[DatabasePoolMetrics.openName] == 5)
        #expect(samples[DatabasePoolMetrics.waitName + "_count"] == 2)
        #expect(samples[DatabasePoolMetrics.waitName + #"_bucket{le="0.005"}"#] == 1)
        #expect(samples[DatabasePoolMetrics.timeoutsName] == 1)
        #expect(samples[EvolutionMetrics.breakerStateName + #"{server="default"}"#] == 1)
    }
}
