import HTTPServer
import Postgres

extension APIError {
    /// The envelope for an Evolution failure: the one place upstream errors become HTTP.
    ///
    /// Evolution refusing *our* key (401) is our misconfiguration, answered 502 and never passed on as 401, which
    /// would tell the caller their own token is bad. An open circuit breaker is 503 with `Retry-After`.
    init(upstream error: EvolutionError) {
        switch error {
        case .unreachable: self.init(.upstreamUnavailable)
        case .circuitOpen(let retryAfter):
            self.init(.upstreamUnavailable, headers: Self.retryAfter(retryAfter))
        case .saturated: self.init(.overloaded, headers: Self.retryAfter(.seconds(1)))
        case .serverUnavailable: self.init(.upstreamUnavailable, headers: Self.retryAfter(.seconds(30)))
        case .timeout: self.init(.upstreamTimeout)
        case .badResponse: self.init(.upstreamBadResponse)
        case .unauthorized, .tls, .transport, .server, .notFound, .nameInUse, .needsLogout:
            self.init(.upstreamError)
        }
    }

    /// The envelope for a PostgreSQL failure: 503 `database_unavailable` with `Retry-After` (details only in the
    /// log).
    init(database error: PostgresError) {
        // A row locked by another session (lock_timeout): the database is fine and the row free again soon.
        let retry = error.kind == .poolTimeout || error.isLockNotAvailable ? 1 : 2
        self.init(.databaseUnavailable, headers: Self.retryAfter(.seconds(retry)))
    }

    /// 429 `rate_limited`: the tenant already has as many Evolution-bound requests in flight as allowed.
    static func rateLimited() -> APIError {
        APIError(.rateLimited, headers: retryAfter(.seconds(1)))
    }

    /// 503 `capacity_exhausted`: no Evolution server has room for the tenant's instance.
    static func capacityExhausted() -> APIError {
        APIError(.capacityExhausted, headers: retryAfter(.seconds(60)))
    }

    /// 503 `overloaded`: this process already has `EVOLUTION_MAX_IN_FLIGHT` Evolution-bound requests in flight.
    static func overloaded() -> APIError {
        APIError(.overloaded, headers: retryAfter(.seconds(1)))
    }

    /// 409 `operation_in_progress`: another connect or disconnect of the tenant is under way.
    static func operationInProgress() -> APIError {
        APIError(.operationInProgress, headers: retryAfter(.seconds(2)))
    }

    /// A `Retry-After` header of whole seconds, at least 1.
    static func retryAfter(_ duration: Duration) -> HTTPHeaders {
        let seconds = max(1, Int((duration / .seconds(1)).rounded(.up)))
        return HTTPHeaders([("Retry-After", String(seconds))])
    }
}
