import Logging

/// What the single log line of an answered request says.
public struct RequestLogEntry: Sendable {
    /// The request id (`X-Request-Id`).
    public var requestID: String
    /// The request method.
    public var method: HTTPMethod
    /// The matched route pattern, or `unmatched` when no route matched.
    public var route: String
    /// The status answered.
    public var status: Int
    /// From reading the request to having written its answer.
    public var duration: Duration
    /// Whether the answer could not be written (the web server had closed the connection).
    public var clientGone: Bool
    /// What the handlers added (``RequestContext/logMetadata``); the fields above win over a key of the same name.
    public var details: Logger.Metadata

    /// An entry from its fields.
    public init(
        requestID: String, method: HTTPMethod, route: String, status: Int, duration: Duration, clientGone: Bool,
        details: Logger.Metadata
    ) {
        self.requestID = requestID
        self.method = method
        self.route = route
        self.status = status
        self.duration = duration
        self.clientGone = clientGone
        self.details = details
    }

    /// `error` for a 5xx answer, `info` otherwise.
    public var level: Logger.Level {
        status >= 500 ? .error : .info
    }

    /// The line's message.
    public static let message = "request"

    /// Every field as swift-log metadata: `requestId`, `method`, `route`, `status`, `durationMs` (milliseconds,
    /// microsecond precision), `clientGone` (only when true), and the details.
    public var metadata: Logger.Metadata {
        var metadata = details
        metadata.reserveCapacity(metadata.count + 6)
        metadata["requestId"] = .string(requestID)
        metadata["method"] = .string(method.rawValue)
        metadata["route"] = .string(route)
        metadata["status"] = .stringConvertible(status)
        metadata["durationMs"] = .stringConvertible(RequestContext.milliseconds(duration))
        if clientGone { metadata["clientGone"] = .stringConvertible(true) }
        return metadata
    }
}

/// Where the bridge writes the log line of each request it answers (one per worker thread: an implementation may
/// keep buffers without a lock).
public protocol RequestLog {
    /// Writes the line of `entry`, at ``RequestLogEntry/level``.
    func write(_ entry: RequestLogEntry)
}

/// Writes request lines through a swift-log `Logger`, whatever its handler.
public struct LoggerRequestLog: RequestLog {
    private let logger: Logger

    /// Lines through `logger`.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Logs `entry` with its fields as metadata.
    public func write(_ entry: RequestLogEntry) {
        let level = entry.level
        guard level >= logger.logLevel else { return }
        logger.log(level: level, "\(RequestLogEntry.message)", metadata: entry.metadata)
    }
}
