import HTTPServer
import JSON
import Postgres

/// `GET /api/ready` → 200 `{"status":"ready","evolution":"closed","servers":[{"id":"default","state":"active",
/// "breaker":"closed"}]}` when PostgreSQL answers and the schema is migrated, else 503 `database_unavailable`.
///
/// Readiness is about this process and its database: an Evolution outage is reported (each server's state and
/// circuit breaker; `evolution` is the best breaker among the servers that are not disabled) but does not take the
/// process out of a load balancer, where it could do nothing better.
struct ReadyHandler: RouteHandler {
    /// Reads `schema_migrations`, which proves both the connection and the migration.
    let checkDatabase: @Sendable () throws(PostgresError) -> Void
    /// Every Evolution server's state and breaker.
    let servers: @Sendable () -> [EvolutionServerReadiness]

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        try context.database("ready", checkDatabase)
        let servers = servers()
        let serving = servers.filter { $0.state != .disabled }.map(\.breaker)
        let best = ["closed", "half_open", "open"].first(where: serving.contains) ?? "open"
        let list = servers.map { server -> JSONValue in
            [
                "id": .string(server.id.rawValue), "state": .string(server.state.rawValue),
                "breaker": .string(server.breaker),
            ]
        }
        return .json(.ok, ["status": "ready", "evolution": .string(best), "servers": .array(list)])
    }
}
