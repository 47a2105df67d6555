import Foundation
import Testing

/// The HTTP layer as a client sees it: through the real nginx, to the responder spawned by spawn-fcgi.
@Suite("Through nginx", .serialized)
final class ThroughNginxTests {
    private let stack: TestStack

    init() throws {
        let database = try TestPostgres.shared.createDatabase("nginx_\(UInt32.random(in: 0...UInt32.max))")
        stack = try TestStack.start(databaseURL: database)
    }

    deinit {
        stack.stop()
    }

    @Test func healthAnswersOkAsJSON() throws {
        let response = try stack.send("GET", "/api/health")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json; charset=utf-8")
        #expect(response.headers["cache-control"] == "no-store")
        #expect(response.text == #"{"status":"ok"}"#)
    }

    @Test func aStoppedResponderIsAnsweredByNginxAsResponderUnavailableInTheEnvelope() throws {
        #expect(stack.responder.terminate() == 0)
        let response = try stack.send("GET", "/api/health")
        #expect(response.status == 503)
        #expect(response.headers["content-type"] == "application/json; charset=utf-8")
        #expect(response.headers["retry-after"] == "1")
        let body = try response.jsonObject()
        #expect(body["error"] as? String == "responder_unavailable")
        #expect(body["requestId"] as? String == response.headers["x-request-id"])
    }

    @Test func everyResponseCarriesNginxRequestID() throws {
        let first = try stack.send("GET", "/api/health")
        let second = try stack.send("GET", "/api/health")
        let id = try #require(first.headers["x-request-id"])
        #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit })
        #expect(second.headers["x-request-id"] != id)
    }

    @Test func clientSuppliedRequestIDIsNotTrusted() throws {
        let response = try stack.send("GET", "/api/health", headers: [("X-Request-Id", "forged-by-client")])
        #expect(response.headers["x-request-id"] != "forged-by-client")
    }

    @Test func unknownRouteGetsTheNotFoundEnvelope() throws {
        let response = try stack.send("GET", "/api/nope")
        #expect(response.status == 404)
        let body = try response.jsonObject()
        #expect(body["success"] as? Bool == false)
        #expect(body["error"] as? String == "not_found")
        #expect(body["message"] as? String == "Rota não encontrada.")
        #expect(body["requestId"] as? String == response.headers["x-request-id"])
    }

    @Test(arguments: ["/api/health/", "/api//health", "/api/./health", "/api/x/../health", "/api/%68ealth"])
    func rawPathsAreNeverNormalisedIntoARoute(path: String) throws {
        let response = try stack.send("GET", path)
        // nginx itself may refuse some of these (400); the responder must never route them.
        #expect(response.status == 404 || response.status == 400)
        #expect(try response.jsonObject()["success"] as? Bool == false)
    }

    @Test func wrongMethodGets405WithAllow() throws {
        let response = try stack.send("POST", "/api/health", body: Data("{}".utf8))
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "GET")
        #expect(try response.jsonObject()["error"] as? String == "method_not_allowed")
    }

    @Test func bodyOver16KiBGets413InTheEnvelope() throws {
        let response = try stack.send(
            "POST", "/api/health", headers: [("Content-Type", "application/json")],
            body: Data(repeating: UInt8(ascii: "a"), count: 20 * 1024))
        #expect(response.status == 413)
        #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
        let body = try response.jsonObject()
        #expect(body["error"] as? String == "payload_too_large")
        #expect(body["success"] as? Bool == false)
        #expect(body["requestId"] as? String == response.headers["x-request-id"])
    }

    @Test func readyAnswers200WhenTheDatabaseIsMigratedAndReportsTheEvolutionBreaker() throws {
        let response = try stack.send("GET", "/api/ready")
        #expect(response.status == 200)
        #expect(
            response.text
                == #"{"status":"ready","evolution":"closed","servers":[{"id":"default","state":"active","breaker":"closed"}]}"#
        )
    }

    @Test func eachRequestIsOneJSONLogLineWithItsRequestID() throws {
        let response = try stack.send("GET", "/api/health", headers: [("Authorization", "Bearer secret-token-xyz")])
        let id = try #require(response.headers["x-request-id"])
        // The line is written after the response; wait for it rather than assume it is there.
        var line: [String: Any]?
        try Wait.until("the request's log line is written") {
            line = try stack.responder.logLines().first { $0["requestId"] as? String == id }
            return line != nil
        }
        let logged = try #require(line)
        #expect(logged["route"] as? String == "/api/health")
        #expect(logged["method"] as? String == "GET")
        #expect(logged["status"] as? Int == 200)
        #expect(logged["durationMs"] is Double)
        #expect(logged["time"] as? String != nil)
        let allLogs = try String(contentsOf: stack.responder.logFile, encoding: .utf8)
        #expect(!allLogs.contains("secret-token-xyz"))
    }
}
