import HTTPServer
import Postgres

/// One request's view of the dependencies: the tenant rows and the tenant's Evolution server as this request calls
/// them (each call timed on its log line, every upstream call bounded by the request's one deadline, failures
/// answered in the envelope), the per-tenant cap and lock, and the audit trail.
struct WhatsAppFlow {
    let dependencies: WhatsAppDependencies
    let context: RequestContext
    /// When the request must have its answer; every upstream call gets what is left of it.
    let deadline: ContinuousClock.Instant
    /// The tenant rows.
    private(set) var tenants: TimedTenantRepository
    /// The Evolution server the tenant is placed on (see ``on(_:)``).
    private(set) var evolution: TimedEvolution
    /// The tenant's lease, in the flow ``whileHoldingLock(on:_:)`` hands its body: every call to the tenant rows and
    /// to Evolution first checks that the request still holds it.
    private(set) var lease: LeaseKeeper?

    /// A flow for the request of `context`, with `budget` from when the request arrived.
    init(_ dependencies: WhatsAppDependencies, context: RequestContext, budget: Duration) {
        self.dependencies = dependencies
        self.context = context
        self.deadline = context.startedAt + budget
        self.tenants = TimedTenantRepository(dependencies.tenants, context: context)
        self.evolution = TimedEvolution(
            dependencies.servers, on: .implicitDefault, context: context, deadline: deadline,
            logger: dependencies.logger)
    }

    /// The server the upstream calls go to.
    var server: EvolutionServerID { evolution.server }

    /// This flow with its upstream calls going to `server` (the one the tenant is placed on), named on the log line.
    func on(_ server: EvolutionServerID) -> WhatsAppFlow {
        var flow = self
        flow.evolution = TimedEvolution(
            dependencies.servers, on: server, context: context, deadline: deadline, logger: dependencies.logger,
            lease: lease)
        context.logMetadata["server"] = .string(server.rawValue)
        return flow
    }

    /// This flow holding `keeper`'s lease: its calls stop once the lease is no longer surely the request's own.
    private func holding(_ keeper: LeaseKeeper) -> WhatsAppFlow {
        var flow = self
        flow.lease = keeper
        flow.tenants = TimedTenantRepository(dependencies.tenants, context: context, lease: keeper)
        flow.evolution = TimedEvolution(
            dependencies.servers, on: server, context: context, deadline: deadline, logger: dependencies.logger,
            lease: keeper)
        return flow
    }

    /// This flow on the server of `record`'s tenant (`default` for a row that names none: a row stored before
    /// servers were registered, or a fake's).
    func on(serverOf record: TenantRecord) -> WhatsAppFlow {
        on(record.server ?? .implicitDefault)
    }

    /// Runs `body` as one of the tenant's at most `EVOLUTION_MAX_PER_TENANT` Evolution-bound requests in this
    /// process; 429 `rate_limited` at once beyond that.
    func withinTenantCap<Success>(
        _ tenant: TenantID, _ body: () throws(APIError) -> Success
    ) throws(APIError) -> Success {
        // The process's bulkhead first: beyond `EVOLUTION_MAX_IN_FLIGHT` the answer is 503 `overloaded` at once, so
        // Evolution-bound work never takes the workers health and answers from PostgreSQL need.
        guard dependencies.evolutionAdmission.tryEnter() else {
            context.logMetadata["limited"] = "EVOLUTION_MAX_IN_FLIGHT"
            throw APIError.overloaded()
        }
        defer { dependencies.evolutionAdmission.leave() }
        guard dependencies.tenantLimiter.tryAcquire(tenant) else {
            context.logMetadata["limited"] = "EVOLUTION_MAX_PER_TENANT"
            throw APIError.rateLimited()
        }
        defer { dependencies.tenantLimiter.release(tenant) }
        return try body()
    }

    /// Runs `body` holding the tenant's operation lock (a lease in PostgreSQL, shared by every process and host):
    /// 409 `operation_in_progress` when another request holds it, 404 `tenant_not_found` without the tenant.
    ///
    /// The lease is short (``LeaseSettings/duration``) and renewed by a ``LeaseKeeper`` while `body` runs, so a
    /// responder killed mid-operation locks the tenant out for no longer than that. `body` gets this flow holding the
    /// lease: each of its calls to the tenant rows or to Evolution first checks the lease, and once a renewal found it
    /// taken over (409) or none went through in time (503), the next call throws instead of being made. The lease is
    /// given back when `body` ends, after the keeper has stopped.
    func whileHoldingLock<Success>(
        on tenant: TenantID, _ body: (WhatsAppFlow) throws(APIError) -> Success
    ) throws(APIError) -> Success {
        let settings = dependencies.settings.lease
        let acquiredAt = dependencies.clock.now()
        let attempt = try context.database("lock") { () throws(PostgresError) in
            try dependencies.lock.acquire(tenant, for: settings.duration)
        }
        switch attempt {
        case .acquired(let lease):
            defer { dependencies.lock.release(lease) }
            guard
                let keeper = LeaseKeeper.start(
                    lease, acquiredAt: acquiredAt, lock: dependencies.lock, settings: settings,
                    clock: dependencies.clock, logger: dependencies.logger, requestID: context.requestID)
            else {
                // Out of threads: without renewals the lease would run out under the operation.
                context.logMetadata["limited"] = "threads"
                throw APIError.overloaded()
            }
            defer { keeper.stop() }
            return try body(holding(keeper))
        case .held: throw APIError.operationInProgress()
        case .noSuchTenant: throw APIError(.tenantNotFound)
        }
    }

    /// Records `state` as observed for the tenant's instance `name`, with `detail` (what the check learned beyond the
    /// state) in the same statement and an audit row when it changed; returns the check time (ISO 8601) and the
    /// account and last disconnection as the row then holds them.
    ///
    /// With `known`, the row as this request read it: when it already holds this state, checked recently enough
    /// (see ``FlowSettings/stateRefreshInterval``), and there is no detail to add, nothing is written: a page polling
    /// status every few seconds must not become a stream of writes (and WAL flushes).
    @discardableResult
    func recordObservedState(
        _ state: EvolutionConnectionState, of name: String, for tenant: TenantID, known: TenantRecord? = nil,
        detail: ConnectionDetail = .none
    ) throws(APIError) -> (checkedAt: String, details: StatusDetails) {
        if let known, known.instanceName == name, known.status == state, detail == .none,
            let age = known.checkedAgeMilliseconds,
            Duration.milliseconds(age) < dependencies.settings.stateRefreshInterval
        {
            context.logMetadata["stateUnchanged"] = .stringConvertible(true)
            return (dependencies.clock.timestamp(), known.details)
        }
        let changeAudit = auditEntry(.stateChange, tenant: tenant, outcome: state.rawValue, instanceName: name)
        // Conditional on the generation this request read: a request that lost a race changes nothing.
        let recorded = try tenants.recordState(
            state, of: name, for: tenant, generation: known?.generation, detail: detail, changeAudit: changeAudit)
        guard let recorded else { return (dependencies.clock.timestamp(), known?.details ?? .none) }
        return (recorded.checkedAt, recorded.details)
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
