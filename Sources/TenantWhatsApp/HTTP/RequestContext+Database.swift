import HTTPServer
import Postgres

extension RequestContext {
    /// Runs one database call named `name`, timed on the request's log line; its failure becomes 503
    /// `database_unavailable` (details only in the log).
    func database<Success>(
        _ name: String, _ call: () throws(PostgresError) -> Success
    ) throws(APIError) -> Success {
        let started = ContinuousClock.now
        do {
            let result = try call()
            recordCall("db." + name, duration: .now - started, outcome: "ok")
            return result
        } catch {
            recordCall("db." + name, duration: .now - started, outcome: error.description)
            throw APIError(database: error)
        }
    }
}
