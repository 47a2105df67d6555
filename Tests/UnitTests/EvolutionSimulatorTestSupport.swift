import HTTPServer
import JSON

@testable import EvolutionSimulator

/// A simulator state and a clock that tests move by hand.
struct SimulatorHarness {
    static let key = "unit-test-key"
    var state: SimulatorState
    var now = ContinuousClock.now

    init(_ configure: (inout SimulatorSettings) -> Void = { _ in }) {
        var settings = SimulatorSettings(apiKey: Self.key)
        configure(&settings)
        state = SimulatorState(settings: settings)
    }

    /// Sends a request to the state as the FastCGI layer would and returns the complete response.
    @discardableResult
    mutating func send(
        _ method: HTTPMethod, _ target: String, key: String? = SimulatorHarness.key, json: String? = nil,
        contentType: String? = "application/json"
    ) -> HTTPResponse {
        var headers = HTTPHeaders()
        if let key { headers.add(name: "apikey", value: key) }
        if json != nil, let contentType { headers.add(name: "content-type", value: contentType) }
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        let request = HTTPRequest(
            method: method, path: parts[0], query: parts.count > 1 ? parts[1] : nil, headers: headers,
            body: Array((json ?? "").utf8), requestID: "test")
        let answer =
            target.hasPrefix("/_sim/")
            ? SimulatorAnswer(reply: .complete(state.answerControl(request, now: now)), route: "_sim")
            : state.answerEvolution(request, now: now)
        guard case .complete(let response) = answer.reply else { return HTTPResponse(status: .internalServerError) }
        return response
    }

    /// Creates a Baileys instance (with a QR code unless told otherwise); returns its token.
    @discardableResult
    mutating func create(_ name: String, qrcode: Bool = true, extra: String = "") -> String {
        let response = send(
            .post, "/instance/create",
            json: #"{"instanceName":"\#(name)","integration":"WHATSAPP-BAILEYS","qrcode":\#(qrcode)\#(extra)}"#)
        return (try? JSONParser().parse(response.body))?["hash"]?.stringValue ?? ""
    }

    /// Moves the clock on and lets time-driven behaviour happen.
    mutating func advance(_ duration: Duration) {
        now += duration
        state.tick(now: now)
    }
}

extension HTTPResponse {
    /// The body as text.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON (null when it is not JSON).
    var json: JSONValue { (try? JSONParser().parse(body)) ?? .null }
}

/// Plain requests for tests that call the state directly.
enum HTTPRequestBuilder {
    static func get(_ path: String, key: String? = nil) -> HTTPRequest {
        var headers = HTTPHeaders()
        if let key { headers.add(name: "apikey", value: key) }
        return HTTPRequest(method: .get, path: path, headers: headers, requestID: "test")
    }
}
