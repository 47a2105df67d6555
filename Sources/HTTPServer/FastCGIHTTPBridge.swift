import FastCGI
import Logging

/// Turns FastCGI requests into `HTTPRequest`s for a responder, writes its `HTTPResponse`s, and logs and counts each
/// request once.
///
/// Every response carries `X-Request-Id`. Bodies are read up to the responder's
/// ``HTTPResponder/largestBodyLimit`` (each route then holds its own body to its limit): a larger declared
/// `CONTENT_LENGTH` is refused without reading it. Where the log line is written, the request is also
/// recorded in the metrics (see ``RequestMetrics``): by route pattern and status, its duration, and while it is in
/// flight.
public final class FastCGIHTTPBridge: FastCGIRequestHandler {
    private let responder: any HTTPResponder
    private let requestLog: any RequestLog
    private let bodyLimit: Int
    private let metrics: RequestMetrics

    /// A bridge to `responder`, writing request lines to `requestLog`; its metrics' names start with
    /// `metricsPrefix` (`<prefix>http_requests_total`, `<prefix>http_request_duration_seconds`,
    /// `<prefix>http_requests_in_flight`).
    public init(responder: any HTTPResponder, requestLog: any RequestLog, metricsPrefix: String = "") {
        self.responder = responder
        self.requestLog = requestLog
        self.bodyLimit = responder.largestBodyLimit
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
        let response =
            if let failure = reading.failure {
                responder.respond(to: failure, request: request, context: context)
            } else {
                responder.respond(to: request, context: context)
            }
        let delivered = fastCGIRequest.write(response.serializedForCGI(requestID: context.requestID))
        let duration = .now - context.startedAt
        let route = context.route ?? RequestMetrics.unmatchedRoute
        requestLog.write(
            RequestLogEntry(
                requestID: context.requestID, method: request.method, route: route, status: response.status.code,
                duration: duration, clientGone: !delivered, details: context.logMetadata))
        metrics.finished(route: route, status: response.status.code, duration: duration)
    }
}
