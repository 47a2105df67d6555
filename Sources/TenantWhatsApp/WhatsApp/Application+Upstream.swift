import Glibc
import HTTPServer
import Postgres

extension Application {
    /// Runs one Evolution call named `name`, timed on the request's log line; its failure becomes the envelope.
    func upstream<Result>(
        _ name: String, context: RequestContext, _ call: (EvolutionClient) throws(EvolutionError) -> Result
    ) throws(APIError) -> Result {
        switch try attemptUpstream(name, context: context, call) {
        case .success(let result): return result
        case .failure(let error): throw upstreamFailure(error)
        }
    }

    /// Runs one Evolution call like ``upstream(_:context:_:)`` but hands its failure back, for the flows where
    /// some failures are answers (404: the instance is gone; 403: the name is taken).
    func attemptUpstream<Success>(
        _ name: String, context: RequestContext, _ call: (EvolutionClient) throws(EvolutionError) -> Success
    ) throws(APIError) -> Result<Success, EvolutionError> {
        let client = try evolutionClient()
        // The whole request, however many calls it makes, is answered before nginx gives up on it.
        client.deadline = context.startedAt + Self.requestBudget
        let started = ContinuousClock.now
        do {
            let result = try call(client)
            context.recordCall("evolution." + name, duration: .now - started, outcome: "ok")
            return .success(result)
        } catch {
            context.recordCall("evolution." + name, duration: .now - started, outcome: error.description)
            return .failure(error)
        }
    }

    /// How long one request may spend in total: under nginx's `fastcgi_read_timeout` (60 s), so that a slow
    /// Evolution is answered by the app's own 504 `upstream_timeout`, never by nginx.
    static let requestBudget: Duration = .seconds(50)

    /// The envelope for an upstream failure the flow does not handle; a refused key is also an alert in the log.
    func upstreamFailure(_ error: EvolutionError) -> APIError {
        if error == .unauthorized {
            logger.error("Evolution refused EVOLUTION_API_KEY: check the key (answered 502 upstream_error)")
        }
        return APIError(upstream: error)
    }

    /// Runs one database call, turning its failure into 503 `database_unavailable` and timing it on the log line.
    func database<Result>(
        _ name: String, context: RequestContext, _ call: () throws(PostgresError) -> Result
    ) throws(APIError) -> Result {
        let started = ContinuousClock.now
        do {
            let result = try call()
            context.recordCall("db." + name, duration: .now - started, outcome: "ok")
            return result
        } catch {
            context.recordCall("db." + name, duration: .now - started, outcome: error.description)
            throw APIError(database: error)
        }
    }

    /// Runs `body` holding the tenant's operation lock (PostgreSQL advisory lock, shared by every process and
    /// host): 409 `operation_in_progress` when another request holds it.
    func whileHoldingLock<Result>(
        on tenant: TenantID, context: RequestContext, _ body: () throws(APIError) -> Result
    ) throws(APIError) -> Result {
        let locked = try database("lock", context: context) { () throws(PostgresError) in try store.tryLock(tenant) }
        guard locked else { throw APIError(.operationInProgress) }
        defer { store.unlock(tenant) }
        return try body()
    }

    /// Appends an audit row for this request.
    func audit(
        _ action: AuditEntry.Action, tenant: TenantID, outcome: String, error: APIError? = nil,
        instanceName: String?, context: RequestContext
    ) {
        auditTrail.record(
            AuditEntry(
                tenant: tenant, action: action, outcome: outcome, errorCode: error?.code, instanceName: instanceName,
                requestID: context.requestID, duration: .now - context.startedAt))
    }

    /// The thread's Evolution client, made on first use (a libcurl handle that could not be made is a 502).
    private func evolutionClient() throws(APIError) -> EvolutionClient {
        if let evolution { return evolution }
        do {
            let client = try EvolutionClient(configuration: configuration.evolution)
            evolution = client
            return client
        } catch {
            logger.error("cannot create the Evolution client", metadata: ["error": .string(error.description)])
            throw APIError(upstream: error)
        }
    }

    /// Waits `milliseconds` between two upstream polls.
    func pause(milliseconds: Int) {
        var remaining = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var interval = remaining
        while nanosleep(&interval, &remaining) != 0 && errno == EINTR { interval = remaining }
    }
}
