import HTTPServer
import JSON
import Postgres

/// `GET /api/ready` → 200 `{"status":"ready","evolution":"closed"}` when PostgreSQL answers and the schema is
/// migrated, else 503 `database_unavailable`.
///
/// Readiness is about this process and its database: an Evolution outage is reported (the circuit breaker's state)
/// but does not take the process out of a load balancer, where it could do nothing better.
struct ReadyHandler: RouteHandler {
    /// Reads `schema_migrations`, which proves both the connection and the migration.
    let checkDatabase: @Sendable () throws(PostgresError) -> Void
    /// The circuit breaker's state: `closed`, `open` or `half_open`.
    let breakerState: @Sendable () -> String

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        try context.database("ready", checkDatabase)
        return .json(.ok, ["status": "ready", "evolution": .string(breakerState())])
    }
}
