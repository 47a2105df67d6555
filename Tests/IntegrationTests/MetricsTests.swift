import Foundation
import Testing

/// `GET /api/metrics` through the real nginx, responder, PostgreSQL and evolution-sim: each scrape counts exactly the
/// requests and Evolution calls made since the previous one, names no tenant, and only loopback (and the operator's
/// one `allow` line) may read it: any other address gets nginx's 403 `forbidden` envelope, whatever the spelling of
/// the path.
@Suite("Metrics through nginx", .serialized)
final class MetricsTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private static let prefix = "tenant_whatsapp_"
    private static let statusRoute = "/api/tenants/{tenantId}/whatsapp/status"
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let tenant = TestWhatsAppStack.newTenantID("metrics")

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "metrics")
        try stack.insertTenant(tenant)
    }

    deinit {
        stack.stop()
    }

    /// One scrape from 127.0.0.1: its text, checked for what no scrape may ever hold, and its samples.
    private func scrape() throws -> (text: String, samples: [String: Double]) {
        let response = try stack.nginx.send("GET", "/api/metrics")
        #expect(response.status == 200, "\(response.text)")
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.headers["cache-control"] == "no-store")
        #expect(response.headers["x-request-id"] != nil)
        let text = response.text
        for secret in [tenant, TestWhatsAppStack.instanceName(of: tenant), sim.apiKey, stack.databaseName] {
            #expect(!text.contains(secret), "the scrape holds \(secret)")
        }
        return (text, Self.samples(in: text))
    }

    /// `name{labels}` → value, for every line that is not a comment.
    private static func samples(in text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// How much each series of the metric `name` moved between two scrapes (series that did not move are left out).
    private static func moved(
        _ name: String, from before: [String: Double], to after: [String: Double]
    ) -> [String:
        Double]
    {
        var moved: [String: Double] = [:]
        for (series, value) in after where series == name || series.hasPrefix(name + "{") {
            let change = value - (before[series] ?? 0)
            if change != 0 { moved[series] = change }
        }
        return moved
    }

    @Test func aScrapeCountsExactlyTheRequestsAndCallsMadeSinceThePreviousOne() throws {
        #expect(try stack.connect(tenant: tenant).status == 201)
        try sim.scan(instance: TestWhatsAppStack.instanceName(of: tenant))
        let before = try scrape().samples

        for _ in 1...3 { #expect(try stack.nginx.send("GET", "/api/health").status == 200) }
        for _ in 1...2 { #expect(try stack.status(tenant: tenant).status == 200) }
        #expect(try stack.nginx.send("GET", "/api/nope").status == 404)
        let after = try scrape().samples

        let requests = Self.prefix + "http_requests_total"
        // The first scrape is counted once it was written, so it is in the second: seven requests, no more.
        #expect(
            Self.moved(requests, from: before, to: after) == [
                #"\#(requests){route="/api/health",status="200"}"#: 3,
                #"\#(requests){route="\#(Self.statusRoute)",status="200"}"#: 2,
                #"\#(requests){route="unmatched",status="404"}"#: 1,
                #"\#(requests){route="/api/metrics",status="200"}"#: 1,
            ])
        let durations = Self.prefix + "http_request_duration_seconds_count"
        #expect(
            Self.moved(durations, from: before, to: after) == [
                #"\#(durations){route="/api/health"}"#: 3, #"\#(durations){route="\#(Self.statusRoute)"}"#: 2,
                #"\#(durations){route="unmatched"}"#: 1, #"\#(durations){route="/api/metrics"}"#: 1,
            ])
        let calls = Self.prefix + "evolution_calls_total"
        // The first status to see the scanned instance open also learns its account (docs/api.md): one fetch.
        #expect(
            Self.moved(calls, from: before, to: after) == [
                #"\#(calls){operation="connectionState",outcome="ok",server="default"}"#: 2,
                #"\#(calls){operation="fetchInstances",outcome="ok",server="default"}"#: 1,
            ])
        // The scrape itself is the one request in flight; nothing holds a connection between statements.
        #expect(after[Self.prefix + "http_requests_in_flight"] == 1)
        #expect(after[Self.prefix + "db_pool_connections_in_use"] == 0)
        #expect((after[Self.prefix + "db_pool_connections_open"] ?? 0) >= 1)
        #expect(
            (after[Self.prefix + "db_pool_wait_seconds_count"] ?? 0)
                > (before[Self.prefix + "db_pool_wait_seconds_count"] ?? 0))
        #expect(after[Self.prefix + #"evolution_circuit_breaker_state{server="default"}"#] == 0)
    }

    @Test func anyOtherAddressGetsTheForbiddenEnvelopeFromNginxWhateverTheSpelling() throws {
        let before = try scrape().samples
        let denied = try stack.nginx.send("GET", "/api/metrics", from: "127.0.0.2")
        #expect(denied.status == 403)
        #expect(denied.headers["content-type"] == "application/json; charset=utf-8")
        let body = try denied.jsonObject()
        #expect(body["success"] as? Bool == false)
        #expect(body["error"] as? String == "forbidden")
        #expect(body["message"] as? String == "Acesso negado.")
        #expect(body["requestId"] as? String == denied.headers["x-request-id"])

        // Every spelling nginx normalises to /api/metrics meets the same rule; the rest reach the responder, whose
        // router matches the raw path exactly: a 404, never the metrics.
        for path in ["/api//metrics", "/api/%6Detrics", "/api/./metrics", "/api/metrics?x=1", "/api/x/../metrics"] {
            #expect(try stack.nginx.send("GET", path, from: "127.0.0.2").status == 403, "\(path)")
        }
        for path in ["/api/metrics/", "/api/metrics%2F", "/api/Metrics"] {
            let answer = try stack.nginx.send("GET", path, from: "127.0.0.2")
            #expect(answer.status == 404, "\(path)")
            #expect(!answer.text.contains(Self.prefix), "\(path)")
        }
        // The rule is the metrics' alone: the API answers that address as any other.
        #expect(try stack.nginx.send("GET", "/api/health", from: "127.0.0.2").status == 200)

        let after = try scrape().samples
        let requests = Self.prefix + "http_requests_total"
        let metricsRoute = #"\#(requests){route="/api/metrics",status="200"}"#
        #expect(Self.moved(requests, from: before, to: after)[metricsRoute] == 1, "only the allowed scrape got through")
    }
}
