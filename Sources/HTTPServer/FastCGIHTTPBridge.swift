import FastCGI
import Logging

/// Turns FastCGI requests into `HTTPRequest`s for a responder, writes its `HTTPResponse`s, and logs and counts each
/// request once.
///
/// Every response carries `X-Request-Id`. Bodies are capped at `bodyLimit` bytes (16 KiB by default): a larger
/// declared `CONTENT_LENGTH` is refused without reading it. Where the log line is written, the request is also
/// recorded in the metrics (see ``RequestMetrics``): by route pattern and status, its duration, and while it is in
/// flight.
public final class FastCGIHTTPBridge: FastCGIRequestHandler {
    private let responder: any HTTPResponder
    private let logger: Logger
    private let bodyLimit: Int
    private let metrics: RequestMetrics

    /// The default body cap: 16 KiB, as nginx's `client_max_body_size 16k`.
    public static let defaultBodyLimit = 16 * 1024

    /// A bridge to `responder`, logging to `logger`; its metrics' names start with `metricsPrefix`
    /// (`<prefix>http_requests_total`, `<prefix>http_request_duration_seconds`, `<prefix>http_requests_in_flight`).
    public init(
        responder: any HTTPResponder, logger: Logger, bodyLimit: Int = FastCGIHTTPBridge.defaultBodyLimit,
        metricsPrefix: String = ""
    ) {
        self.responder = responder
        self.logger = logger
        self.bodyLimit = bodyLimit
        self.metrics = RequestMetrics(prefix: metricsPrefix)
    }

    /// Reads, answers, logs and counts one request.
    public func handle(_ fastCGIRequest: borrowing FastCGIRequest) {
        metrics.started()
        let reading = HTTPRequest.read(from: fastCGIRequest, bodyLimit: bodyLimit)
        let request = reading.request
        let context = RequestContext(requestID: request.requestID)
        let watch = fastCGIRequest.connectionWatch
        context.clientGone = { watch.isClosed }
        var response =
            if let failure = reading.failure {
                responder.respond(to: failure, request: request, context: context)
            } else {
                responder.respond(to: request, context: context)
            }
        response.headers.replace(name: "X-Request-Id", value: context.requestID)
        let delivered = fastCGIRequest.write(response.serializedForCGI())
        log(request: request, response: response, context: context, delivered: delivered)
        metrics.finished(route: context.route, status: response.status.code, duration: .now - context.startedAt)
    }

    private func log(request: HTTPRequest, response: HTTPResponse, context: RequestContext, delivered: Bool) {
        var metadata = context.logMetadata
        // Room for the six fields below at once: growing the dictionary one field at a time rehashes it repeatedly.
        metadata.reserveCapacity(metadata.count + 6)
        metadata["requestId"] = .string(context.requestID)
        metadata["method"] = .string(request.method.rawValue)
        metadata["route"] = .string(context.route ?? RequestMetrics.unmatchedRoute)
        metadata["status"] = .stringConvertible(response.status.code)
        metadata["durationMs"] = .stringConvertible(context.elapsedMilliseconds)
        if !delivered { metadata["clientGone"] = .stringConvertible(true) }
        let level: Logger.Level = response.status.code >= 500 ? .error : .info
        logger.log(level: level, "request", metadata: metadata)
    }
}
