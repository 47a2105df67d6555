import Foundation
import Testing

/// The shipped nginx configuration against hostile and heavy clients (issue 15): every method answered in the JSON
/// envelope, a body that drips is cut off, one address cannot hold more than 100 requests in progress, and 2000
/// idle keep-alive clients neither exhaust nginx nor slow health down.
///
/// Nothing here asserts a duration: the figures (how long the drip lasted, health's latency with 2000 clients
/// held) are printed on `nginx hardening:` lines for the README.
@Suite("nginx hardening", .serialized)
struct NginxHardeningTests {
    /// The limits lifted that the test is not about: 2000 requests from one address in a few seconds.
    private static let liftedRates = ["TW_NGINX_RATE": "100000r/s", "TW_NGINX_BURST": "100000"]

    @Test func traceAndConnectAnswerTheMethodNotAllowedEnvelopeLikeEveryOtherMethodARouteDoesNotTake() throws {
        let stack = try Self.startStack("methods")
        defer { stack.stop() }

        // nginx refuses these two itself, before choosing a location: on the API, on a tenant route, on the page.
        for path in ["/api/health", "/api/tenants/t1/whatsapp/status", "/"] {
            for method in ["TRACE", "CONNECT"] {
                let response = try stack.send(method, path)
                try Self.expectMethodNotAllowedEnvelope(response, "\(method) \(path)")
            }
        }
        // The others reach the responder, which answers with the same envelope and names the route's methods.
        for method in ["PROPFIND", "PATCH", "OPTIONS", "PUT"] {
            let response = try stack.send(method, "/api/health")
            try Self.expectMethodNotAllowedEnvelope(response, "\(method) /api/health")
            #expect(response.headers["allow"] == "GET", "\(method)")
        }
    }

    @Test func aTransferEncodingNginxCannotTakeAndAnUnknownHTTPVersionAnswerTheirEnvelopes() throws {
        let stack = try Self.startStack("native")
        defer { stack.stop() }
        let cases: [(request: String, status: Int, code: String)] = [
            (
                "POST /api/tenants/t1/whatsapp/connect HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Transfer-Encoding: gzip, chunked\r\nContent-Type: application/json\r\n\r\n0\r\n\r\n",
                501, "not_implemented"
            ),
            ("GET /api/health HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505, "http_version_not_supported"),
        ]
        for (request, status, code) in cases {
            let connection = try RawHTTPConnection(port: stack.nginx.port)
            try connection.write(request)
            let response = try connection.readResponse()
            #expect(response.status == status, "\(code): \(response.status) \(response.text)")
            #expect(response.headers["content-type"] == "application/json; charset=utf-8", "\(code)")
            let body = try response.jsonObject()
            #expect(body["error"] as? String == code)
            #expect(body["success"] as? Bool == false)
            #expect((body["requestId"] as? String)?.isEmpty == false)
        }
        // Neither reached the responder.
        #expect(try stack.responder.logLines().allSatisfy { ($0["route"] as? String)?.contains("connect") != true })
    }

    @Test func aBodyDrippedOneByteEveryFewSecondsIsCutOffAndNeverReachesTheResponder() throws {
        let stack = try Self.startStack("drip")
        defer { stack.stop() }
        let tenant = "drip-\(UInt32.random(in: 0...UInt32.max))"
        let connection = try RawHTTPConnection(port: stack.nginx.port)
        try connection.write(
            "POST /api/tenants/\(tenant)/whatsapp/connect HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer x\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{")
        let started = Date()
        // One byte every 4 s, at most 15 of them (a minute): the pace of the drip, not a synchronisation.
        let drip = Background { () -> Int in
            var sent = 0
            for _ in 1...15 {
                usleep(4_000_000)
                guard (try? connection.write(" ")) != nil else { break }
                sent += 1
            }
            return sent
        }

        let ending = try connection.waitForClose(timeoutSeconds: 30)
        let lasted = Date().timeIntervalSince(started)
        // Cut by client_body_timeout and reset (reset_timedout_connection): no answer at all, and never passed on.
        #expect(ending == .reset(Data()), "\(ending)")
        _ = try drip.value()
        print("nginx hardening: a body dripped one byte every 4 s was cut after \(String(format: "%.1f", lasted)) s")
        #expect(try stack.responder.logLines().allSatisfy { ($0["route"] as? String)?.contains("connect") != true })
        #expect(try stack.send("GET", "/api/health").status == 200)
    }

    @Test func oneAddressWithAHundredRequestsInProgressGetsRateLimitedWhileAnotherAddressIsServed() throws {
        let stack = try Self.startStack("conn", nginxEnvironment: Self.liftedRates)
        defer { stack.stop() }

        // 100 requests from 127.0.0.3 whose bodies are still on their way: each counts until it ends.
        var held: [RawHTTPConnection] = []
        for _ in 1...100 {
            let connection = try RawHTTPConnection(port: stack.nginx.port, from: "127.0.0.3")
            try connection.write(
                "POST /api/tenants/t1/whatsapp/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 64\r\n\r\n{")
            held.append(connection)
        }
        // One more byte each restarts their 3 s body timers, so all 100 are surely in progress for the next request.
        for connection in held { try connection.write(" ") }

        let refused = try stack.nginx.send("GET", "/api/health", from: "127.0.0.3")
        #expect(refused.status == 429, "\(refused.text)")
        #expect(refused.headers["retry-after"] == "1")
        #expect(try refused.jsonObject()["error"] as? String == "rate_limited")
        #expect(stack.nginx.errorLog().contains(#"limiting connections by zone "tenant_whatsapp_conn""#))
        #expect(try stack.nginx.send("GET", "/api/health", from: "127.0.0.4").status == 200)

        held.removeAll()
        try Wait.until("127.0.0.3 is served again once its requests ended") {
            try stack.nginx.send("GET", "/api/health", from: "127.0.0.3").status == 200
        }
    }

    @Test func twoThousandIdleKeepAliveClientsAreAllKeptWhileHealthIsAnswered() throws {
        let clientCount = 2000
        try DescriptorLimit.raise(atLeast: UInt(clientCount + 1000))
        let stack = try Self.startStack("keepalive", nginxEnvironment: Self.liftedRates)
        defer { stack.stop() }

        var clients: [RawHTTPConnection] = []
        var firstAnswers = 0
        for _ in 1...clientCount {
            let client = try RawHTTPConnection(port: stack.nginx.port)
            if try client.get("/api/health").status == 200 { firstAnswers += 1 }
            clients.append(client)
        }
        #expect(firstAnswers == clientCount)

        // Health on new connections while all of them stay open and idle.
        var milliseconds: [Double] = []
        for _ in 1...200 {
            let started = Date()
            let response = try stack.send("GET", "/api/health")
            milliseconds.append(Date().timeIntervalSince(started) * 1000)
            #expect(response.status == 200, "\(response.text)")
        }
        // Every idle client still has its connection: nginx closed none to make room (it does when
        // worker_connections runs short: "worker_connections are not enough, reusing connections").
        var secondAnswers = 0
        for client in clients where (try? client.get("/api/health"))?.status == 200 {
            secondAnswers += 1
        }
        #expect(secondAnswers == clientCount)
        #expect(!stack.nginx.errorLog().contains("worker_connections are not enough"))

        milliseconds.sort()
        print(
            "nginx hardening: GET /api/health with \(clientCount) idle keep-alive clients held: "
                + String(
                    format: "median %.2f ms, p99 %.2f ms, max %.2f ms over %d requests",
                    milliseconds[milliseconds.count / 2], milliseconds[milliseconds.count * 99 / 100 - 1],
                    milliseconds[milliseconds.count - 1], milliseconds.count))
    }

    // MARK: - Helpers

    private static func startStack(_ label: String, nginxEnvironment: [String: String] = [:]) throws -> TestStack {
        let database = try TestPostgres.shared.createDatabase("\(label)_\(UInt32.random(in: 0...UInt32.max))")
        return try TestStack.start(databaseURL: database, threads: 2, nginxEnvironment: nginxEnvironment)
    }

    private static func expectMethodNotAllowedEnvelope(_ response: TestHTTPResponse, _ what: String) throws {
        #expect(response.status == 405, "\(what): \(response.text)")
        #expect(response.headers["content-type"] == "application/json; charset=utf-8", "\(what)")
        let body = try response.jsonObject()
        #expect(body["success"] as? Bool == false, "\(what)")
        #expect(body["error"] as? String == "method_not_allowed", "\(what)")
        #expect(body["message"] as? String == "Método não permitido para esta rota.", "\(what)")
        #expect(body["requestId"] as? String == response.headers["x-request-id"], "\(what)")
    }
}
