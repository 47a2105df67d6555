import Logging

/// What is known about one request while it is answered: its id, its route, and what to log about it.
///
/// Handlers add to `logMetadata` (the tenant, each database or upstream call); the server writes it all as the
/// request's single log line. Never add a secret.
public final class RequestContext {
    /// The request id, also sent back as `X-Request-Id`.
    public let requestID: String
    /// When the request reached the responder.
    public let startedAt: ContinuousClock.Instant
    /// The matched route pattern, e.g. `/api/health`, for logs.
    public var route: String?
    /// Extra fields for the request's log line.
    public var logMetadata: Logger.Metadata = [:]
    /// Whether the client went away (the web server closed the connection): a request that waits can stop early.
    public var clientGone: @Sendable () -> Bool = { false }

    /// A context for the request `requestID`, starting now.
    public init(requestID: String, startedAt: ContinuousClock.Instant = .now) {
        self.requestID = requestID
        self.startedAt = startedAt
    }

    /// Adds one database or upstream call to the request's log line (under `calls`, in order).
    public func recordCall(_ name: String, duration: Duration, outcome: String) {
        var calls: [Logger.MetadataValue] = []
        if case .array(let earlier) = logMetadata["calls"] { calls = earlier }
        calls.append([
            "call": .string(name), "ms": .stringConvertible(Self.milliseconds(duration)), "outcome": .string(outcome),
        ])
        logMetadata["calls"] = .array(calls)
    }

    /// A duration in milliseconds, rounded to microseconds.
    public static func milliseconds(_ duration: Duration) -> Double {
        (duration / .microseconds(1)).rounded(.towardZero) / 1000
    }
}
