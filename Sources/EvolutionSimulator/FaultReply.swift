import HTTPServer
import JSON

/// The answer an injected fault gives instead of Evolution's.
enum FaultReply {
    static func answer(for fault: Fault, route: String, instance: String?) -> SimulatorAnswer {
        SimulatorAnswer(
            reply: reply(for: fault), delay: .milliseconds(fault.delayMilliseconds), route: route, instance: instance)
    }

    private static func reply(for fault: Fault) -> SimulatorReply {
        let status = HTTPStatus(code: fault.status, reason: reason(for: fault.status))
        switch fault.kind {
        case .status, .passthrough:
            return .complete(statusResponse(fault, status: status))
        case .html:
            let page =
                "<!DOCTYPE html><html><head><title>\(status)</title></head><body><h1>\(status.reason)</h1>"
                + "<hr><center>nginx</center></body></html>"
            return .complete(
                HTTPResponse(
                    status: status, headers: HTTPHeaders([("Content-Type", "text/html; charset=utf-8")]),
                    body: Array(page.utf8)))
        case .oversize:
            var body = SimulatorAnswer.filler(count: fault.sizeBytes, startingAt: 0)
            if body.count >= 2 { body[body.count - 2] = UInt8(ascii: "\""); body[body.count - 1] = UInt8(ascii: "}") }
            return .complete(HTTPResponse(status: status, headers: jsonHeaders, body: body))
        case .stream:
            var headers = jsonHeaders
            headers.add(name: "X-Accel-Buffering", value: "no")
            return .streamed(
                status: status, headers: headers, totalBytes: fault.sizeBytes, chunkBytes: fault.chunkBytes,
                interval: .milliseconds(fault.intervalMilliseconds))
        case .truncate:
            return .truncated(
                status: status, headers: jsonHeaders, declaredLength: fault.sizeBytes,
                body: Array(#"{"instance":{"instanceName""#.utf8.prefix(max(0, fault.sizeBytes - 1))))
        case .invalid:
            return .notCGI
        case .redirect:
            let location = fault.location ?? "/"
            return .complete(
                HTTPResponse(
                    status: status,
                    headers: HTTPHeaders([("Location", location), ("Content-Type", "text/plain; charset=utf-8")]),
                    body: Array("Found. Redirecting to \(location)".utf8)))
        }
    }

    private static var jsonHeaders: HTTPHeaders {
        HTTPHeaders([("Content-Type", "application/json; charset=utf-8")])
    }

    /// `body` (JSON) or `text` as given, else Evolution's envelope for the status.
    private static func statusResponse(_ fault: Fault, status: HTTPStatus) -> HTTPResponse {
        if let body = fault.body {
            return HTTPResponse(status: status, headers: contentType(fault), body: body.serialized())
        }
        if let text = fault.text {
            return HTTPResponse(status: status, headers: contentType(fault), body: Array(text.utf8))
        }
        return EvolutionEnvelope.error(status, messages: ["Simulated fault"])
    }

    private static func contentType(_ fault: Fault) -> HTTPHeaders {
        HTTPHeaders([("Content-Type", fault.contentType ?? "application/json; charset=utf-8")])
    }

    /// A reason phrase for any status (nginx passes the status line on).
    static func reason(for code: Int) -> String {
        let known: [Int: String] = [
            200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found", 303: "See Other",
            307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found", 408: "Request Timeout", 409: "Conflict", 422: "Unprocessable Entity",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout",
        ]
        return known[code] ?? "Simulated"
    }
}
