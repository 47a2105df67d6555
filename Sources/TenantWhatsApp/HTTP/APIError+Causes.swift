import Postgres

extension APIError {
    /// The envelope for an Evolution failure: the one place upstream errors become HTTP.
    ///
    /// Evolution refusing *our* key (401) is our misconfiguration, answered 502 and never passed on as 401, which
    /// would tell the caller their own token is bad.
    init(upstream error: EvolutionError) {
        switch error {
        case .unreachable: self.init(.upstreamUnavailable)
        case .timeout: self.init(.upstreamTimeout)
        case .badResponse: self.init(.upstreamBadResponse)
        case .unauthorized, .tls, .transport, .server, .notFound, .nameInUse, .needsLogout:
            self.init(.upstreamError)
        }
    }

    /// The envelope for a PostgreSQL failure: 503 `database_unavailable` (details only in the log).
    init(database error: PostgresError) {
        self.init(.databaseUnavailable)
    }
}
