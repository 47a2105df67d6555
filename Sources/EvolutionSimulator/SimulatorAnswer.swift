import HTTPServer

/// How the simulator answers one request: what to write, after how long, and what to log about it.
public struct SimulatorAnswer: Sendable {
    /// What to write.
    public var reply: SimulatorReply
    /// How long to wait before writing (Evolution's own waits, injected delays).
    public var delay: Duration
    /// The route name for the log line (`connect`, `_sim`, `unknown`, …).
    public var route: String
    /// The instance the request is about, if any.
    public var instance: String?

    /// An answer from its parts.
    public init(reply: SimulatorReply, delay: Duration = .zero, route: String, instance: String? = nil) {
        self.reply = reply
        self.delay = delay
        self.route = route
        self.instance = instance
    }

    /// A complete response.
    init(_ response: HTTPResponse, delay: Duration = .zero, route: String, instance: String?) {
        self.init(reply: .complete(response), delay: delay, route: route, instance: instance)
    }

    /// The status line written, if any.
    public var status: Int? {
        switch reply {
        case .complete(let response): response.status.code
        case .streamed(let status, _, _, _, _), .truncated(let status, _, _, _): status.code
        case .notCGI: nil
        }
    }
}

/// The bytes of an answer, from a plain response to the broken ones faults need.
public enum SimulatorReply: Sendable {
    /// A whole response with its `Content-Length`.
    case complete(HTTPResponse)
    /// Headers without a length (nginx sends the body chunked), then `totalBytes` of body in pieces of
    /// `chunkBytes`, `interval` apart. `X-Accel-Buffering: no` makes nginx pass each piece on at once.
    case streamed(status: HTTPStatus, headers: HTTPHeaders, totalBytes: Int, chunkBytes: Int, interval: Duration)
    /// Headers announcing `declaredLength` bytes, then only `body`: the connection ends mid-body.
    case truncated(status: HTTPStatus, headers: HTTPHeaders, declaredLength: Int, body: [UInt8])
    /// Bytes that are no CGI response at all: nginx answers 502 itself.
    case notCGI
}
