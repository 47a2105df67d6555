import HTTPServer
import Postgres

extension Application {
    /// `GET /api/health` → 200 `{"status":"ok"}`: the process is up. Touches nothing else, so a load balancer
    /// can poll it cheaply.
    func health() -> HTTPResponse {
        .json(.ok, ["status": "ok"])
    }

    /// `GET /api/ready` → 200 `{"status":"ready"}` when PostgreSQL answers and the schema is migrated, else 503
    /// `database_unavailable`.
    ///
    /// Reading `schema_migrations` proves both. A connection lost to a PostgreSQL restart is retried once on a new
    /// connection (a read is safe to repeat), so the first probe after the restart already succeeds.
    func ready(context: RequestContext) throws(APIError) -> HTTPResponse {
        let started = ContinuousClock.now
        do {
            try database.query("SELECT 1 FROM schema_migrations LIMIT 1", retryOnConnectionLoss: true)
            context.logMetadata["db"] = ["ready": .stringConvertible(RequestContext.milliseconds(.now - started))]
            return .json(.ok, ["status": "ready"])
        } catch {
            context.logMetadata["db"] = [
                "ready": .stringConvertible(RequestContext.milliseconds(.now - started)),
                "error": .string(error.description),
            ]
            throw APIError(.databaseUnavailable)
        }
    }
}
