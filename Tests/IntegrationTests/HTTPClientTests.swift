import Foundation
import HTTPClient
import Testing

/// The libcurl wrapper itself, against the simulator's nginx: keep-alive, no redirects, the body cap, validation.
@Suite("HTTP client", .serialized)
final class HTTPClientTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    private func get(_ path: String, on client: HTTPClient) throws -> HTTPClientResponse {
        try client.send(HTTPClientRequest(method: .get, url: sim.baseURL + path, timeoutMilliseconds: 5000))
    }

    @Test func twoCallsOnOneClientShareOneKeptAliveConnection() throws {
        let client = try HTTPClient()
        let first = try get("/?first", on: client)
        let second = try get("/?second", on: client)
        #expect(first.status == 200)
        #expect(!first.reusedConnection)
        #expect(second.reusedConnection)
        // nginx saw both requests on one client connection, the second as its second request.
        var lines: [[String: Any]] = []
        try Wait.until("nginx logged both requests") {
            lines = try sim.accessLog().filter { ($0["uri"] as? String)?.hasPrefix("/?") == true }
            return lines.count == 2
        }
        #expect(lines[0]["connection"] as? Int == lines[1]["connection"] as? Int)
        #expect(lines[1]["connectionRequests"] as? Int == 2)
    }

    @Test func twoClientsUseTwoConnections() throws {
        let first = try get("/", on: try HTTPClient())
        let second = try get("/", on: try HTTPClient())
        #expect(!first.reusedConnection)
        #expect(!second.reusedConnection)
    }

    @Test func aRedirectIsReturnedNotFollowed() throws {
        let target = try RedirectTargetListener()
        try sim.inject(#"{"route":"root","kind":"redirect","location":"http://127.0.0.1:\#(target.port)/"}"#)
        let response = try get("/", on: try HTTPClient())
        #expect(response.status == 302)
        #expect(response.header("location") == "http://127.0.0.1:\(target.port)/")
        #expect(target.pendingConnections() == 0)
    }

    @Test func theBodyCapStopsAChunkedBody() throws {
        try sim.inject(#"{"route":"root","kind":"stream","sizeBytes":2097152}"#)
        let client = try HTTPClient(bodyLimit: 1_048_576)
        #expect(throws: HTTPClientError.tooLarge(limit: 1_048_576)) { try self.get("/", on: client) }
        // The handle stays usable after an aborted transfer.
        #expect(try get("/", on: client).status == 200)
    }

    @Test func aBodyExactlyAtTheCapIsAccepted() throws {
        try sim.inject(#"{"route":"root","kind":"stream","sizeBytes":1048576}"#)
        let response = try get("/", on: try HTTPClient(bodyLimit: 1_048_576))
        #expect(response.body.count == 1_048_576)
        #expect(response.header("transfer-encoding") == "chunked")
    }

    @Test func aPostSendsItsBodyAndHeaders() throws {
        let body = Array(#"{"event":"test","n":1}"#.utf8)
        let response = try HTTPClient().send(
            HTTPClientRequest(
                method: .post, url: sim.baseURL + "/_sim/webhooks/test-event",
                headers: [("Content-Type", "application/json")], body: body, timeoutMilliseconds: 5000))
        #expect(response.status == 200)
        let received = try #require(try sim.receivedWebhooks().first)
        #expect(received["path"] as? String == "/_sim/webhooks/test-event")
        #expect((received["body"] as? [String: Any])?["event"] as? String == "test")
    }

    @Test func aDeleteIsSentAsDelete() throws {
        try sim.inject(#"{"route":"delete","status":200,"body":{"ok":1}}"#)
        let response = try HTTPClient().send(
            HTTPClientRequest(method: .delete, url: sim.baseURL + "/instance/delete/x", timeoutMilliseconds: 5000))
        #expect(response.status == 200)
        #expect(try sim.callLog().last?["method"] as? String == "DELETE")
    }

    @Test func aHeaderWithALineBreakIsRefusedBeforeSending() throws {
        let request = HTTPClientRequest(
            method: .get, url: sim.baseURL + "/", headers: [("apikey", "a\r\nX-Injected: 1")], timeoutMilliseconds: 5000
        )
        #expect(throws: HTTPClientError.invalidRequest(reason: "the value of header apikey contains CR, LF or NUL")) {
            try HTTPClient().send(request)
        }
        #expect(try sim.callLog().isEmpty)
    }

    @Test(arguments: ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/", "127.0.0.1:80/"])
    func onlyHTTPAndHTTPSURLsAreSent(url: String) throws {
        #expect(throws: HTTPClientError.invalidRequest(reason: "the URL is not http or https")) {
            try HTTPClient().send(HTTPClientRequest(method: .get, url: url, timeoutMilliseconds: 1000))
        }
    }

    @Test func aRefusedConnectionIsUnreachable() throws {
        let port = try TestEnvironment.freeLoopbackPort()
        #expect(throws: HTTPClientError.unreachable(curlCode: 7)) {
            try HTTPClient().send(
                HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(port)/", timeoutMilliseconds: 1000))
        }
    }

    @Test func theDeadlineCoversTheWholeExchange() throws {
        try sim.inject(#"{"route":"root","kind":"passthrough","delayMs":5000}"#)
        let started = ContinuousClock.now
        #expect(throws: HTTPClientError.timeout(curlCode: 28)) {
            try HTTPClient().send(
                HTTPClientRequest(method: .get, url: self.sim.baseURL + "/", timeoutMilliseconds: 500))
        }
        // Cut at the deadline, long before the upstream would answer (5 s): at most five times the deadline, a
        // margin no busy machine eats.
        #expect(ContinuousClock.now - started < .milliseconds(2500))
    }
}
