import HTTPServer
import Postgres

/// One request's view of the dependencies: every database and upstream call timed on its log line, every upstream
/// call bounded by the request's one deadline, and failures turned into the envelope.
struct WhatsAppFlow {
    let dependencies: WhatsAppDependencies
    let context: RequestContext
    /// When the request must have its answer; every upstream call gets what is left of it.
    let deadline: ContinuousClock.Instant
    /// The Evolution server the upstream calls go to: the tenant's (see ``on(_:)``).
    private(set) var server = EvolutionServerID.implicitDefault

    /// A flow for the request of `context`, with `budget` from when the request arrived.
    init(_ dependencies: WhatsAppDependencies, context: RequestContext, budget: Duration) {
        self.dependencies = dependencies
        self.context = context
        self.deadline = context.startedAt + budget
    }

    /// This flow with its upstream calls going to `server` (the one the tenant is placed on), named on the log line.
    func on(_ server: EvolutionServerID) -> WhatsAppFlow {
        var flow = self
        flow.server = server
        context.logMetadata["server"] = .string(server.rawValue)
        return flow
    }

    /// This flow on the server of `record`'s tenant (`default` for a row that names none: a row stored before
    /// servers were registered, or a fake's).
    func on(serverOf record: TenantRecord) -> WhatsAppFlow {
        on(record.server ?? .implicitDefault)
    }

    /// Runs one Evolution call named `name`; its failure becomes the envelope.
    func upstream<Success>(
        _ name: String, _ call: (any EvolutionAPI, ContinuousClock.Instant) throws(EvolutionError) -> Success
    ) throws(APIError) -> Success {
        switch attemptUpstream(name, call) {
        case .success(let result): return result
        case .failure(let error): throw upstreamFailure(error)
        }
    }

    /// Runs one Evolution call like ``upstream(_:_:)`` but hands its failure back, for the flows where some failures
    /// are answers (404: the instance is gone; 403: the name is taken).
    func attemptUpstream<Success>(
        _ name: String, _ call: (any EvolutionAPI, ContinuousClock.Instant) throws(EvolutionError) -> Success
    ) -> Result<Success, EvolutionError> {
        let started = ContinuousClock.now
        do {
            let result = try call(dependencies.servers.upstream(on: server), deadline)
            context.recordCall("evolution." + name, duration: .now - started, outcome: "ok")
            return .success(result)
        } catch {
            context.recordCall("evolution." + name, duration: .now - started, outcome: error.description)
            return .failure(error)
        }
    }

    /// The envelope for an upstream failure the flow does not handle; a refused key is also an alert in the log.
    func upstreamFailure(_ error: EvolutionError) -> APIError {
        if error == .unauthorized {
            dependencies.logger.error(
                "Evolution refused our API key: check the server's key (answered 502 upstream_error)",
                metadata: ["server": .string(server.rawValue)])
        }
        return APIError(upstream: error)
    }

    /// Runs one database call (one statement on a pooled connection); its failure becomes 503
    /// `database_unavailable`.
    func database<Success>(
        _ name: String, _ call: () throws(PostgresError) -> Success
    ) throws(APIError) -> Success {
        try context.database(name, call)
    }

    /// Runs `body` as one of the tenant's at most `EVOLUTION_MAX_PER_TENANT` Evolution-bound requests in this
    /// process; 429 `rate_limited` at once beyond that.
    func withinTenantCap<Success>(
        _ tenant: TenantID, _ body: () throws(APIError) -> Success
    ) throws(APIError) -> Success {
        guard dependencies.tenantLimiter.tryAcquire(tenant) else {
            context.logMetadata["limited"] = "EVOLUTION_MAX_PER_TENANT"
            throw APIError.rateLimited()
        }
        defer { dependencies.tenantLimiter.release(tenant) }
        return try body()
    }

    /// Runs `body` holding the tenant's operation lock (a lease in PostgreSQL, shared by every process and host):
    /// 409 `operation_in_progress` when another request holds it, 404 `tenant_not_found` without the tenant.
    func whileHoldingLock<Success>(
        on tenant: TenantID, _ body: () throws(APIError) -> Success
    ) throws(APIError) -> Success {
        let attempt = try database("lock") { () throws(PostgresError) in
            try dependencies.lock.acquire(tenant, for: dependencies.settings.leaseDuration)
        }
        switch attempt {
        case .acquired(let lease):
            defer { dependencies.lock.release(lease) }
            return try body()
        case .held: throw APIError.operationInProgress()
        case .noSuchTenant: throw APIError(.tenantNotFound)
        }
    }

    /// Records `state` as observed for the tenant's instance `name`, with an audit row when it changed; returns the
    /// check time (ISO 8601).
    ///
    /// With `known`, the row as this request read it: when it already holds this state, checked recently enough
    /// (see ``FlowSettings/stateRefreshInterval``), nothing is written: a page polling status every few seconds
    /// must not become a stream of writes (and WAL flushes).
    @discardableResult
    func recordObservedState(
        _ state: EvolutionConnectionState, of name: String, for tenant: TenantID, known: TenantRecord? = nil
    ) throws(APIError) -> String {
        if let known, known.instanceName == name, known.status == state, let age = known.checkedAgeMilliseconds,
            Duration.milliseconds(age) < dependencies.settings.stateRefreshInterval
        {
            context.logMetadata["stateUnchanged"] = .stringConvertible(true)
            return dependencies.clock.timestamp()
        }
        let changeAudit = auditEntry(.stateChange, tenant: tenant, outcome: state.rawValue, instanceName: name)
        let recorded = try database("recordState") { () throws(PostgresError) in
            // Conditional on the generation this request read: a request that lost a race changes nothing.
            try dependencies.tenants.recordState(
                state, of: name, for: tenant, generation: known?.generation, changeAudit: changeAudit)
        }
        return recorded?.checkedAt ?? dependencies.clock.timestamp()
    }

    /// Appends an audit row for this request.
    func audit(
        _ action: AuditEntry.Action, tenant: TenantID, outcome: String, error: APIError? = nil, instanceName: String?
    ) {
        dependencies.audit.record(
            auditEntry(action, tenant: tenant, outcome: outcome, error: error, instanceName: instanceName))
    }

    /// An audit row for this request, timed until now.
    func auditEntry(
        _ action: AuditEntry.Action, tenant: TenantID, outcome: String, error: APIError? = nil, instanceName: String?
    ) -> AuditEntry {
        AuditEntry(
            tenant: tenant, action: action, outcome: outcome, errorCode: error?.code, instanceName: instanceName,
            requestID: context.requestID, duration: .now - context.startedAt)
    }
}
