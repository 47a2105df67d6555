import FastCGI
import Logging

/// Turns FastCGI requests into `HTTPRequest`s for a responder, writes its `HTTPResponse`s, and logs one line per
/// request.
///
/// Every response carries `X-Request-Id`. Bodies are capped at `bodyLimit` bytes (16 KiB by default): a larger
/// declared `CONTENT_LENGTH` is refused without reading it.
public final class FastCGIHTTPBridge: FastCGIRequestHandler {
    private let responder: any HTTPResponder
    private let logger: Logger
    private let bodyLimit: Int

    /// The default body cap: 16 KiB, as nginx's `client_max_body_size 16k`.
    public static let defaultBodyLimit = 16 * 1024

    /// A bridge to `responder`, logging to `logger`.
    public init(responder: any HTTPResponder, logger: Logger, bodyLimit: Int = FastCGIHTTPBridge.defaultBodyLimit) {
        self.responder = responder
        self.logger = logger
        self.bodyLimit = bodyLimit
    }

    /// Reads, answers and logs one request.
    public func handle(_ fastCGIRequest: borrowing FastCGIRequest) {
        let reading = HTTPRequest.read(from: fastCGIRequest, bodyLimit: bodyLimit)
        let request = reading.request
        let context = RequestContext(requestID: request.requestID)
        var response =
            if let failure = reading.failure {
                responder.respond(to: failure, request: request, context: context)
            } else {
                responder.respond(to: request, context: context)
            }
        response.headers.replace(name: "X-Request-Id", value: context.requestID)
        let delivered = fastCGIRequest.write(response.serializedForCGI())
        log(request: request, response: response, context: context, delivered: delivered)
    }

    private func log(request: HTTPRequest, response: HTTPResponse, context: RequestContext, delivered: Bool) {
        var metadata = context.logMetadata
        metadata["requestId"] = .string(context.requestID)
        metadata["method"] = .string(request.method.rawValue)
        metadata["route"] = .string(context.route ?? "unmatched")
        metadata["status"] = .stringConvertible(response.status.code)
        metadata["durationMs"] = .stringConvertible(context.elapsedMilliseconds)
        if !delivered { metadata["clientGone"] = .stringConvertible(true) }
        let level: Logger.Level = response.status.code >= 500 ? .error : .info
        logger.log(level: level, "request", metadata: metadata)
    }
}
