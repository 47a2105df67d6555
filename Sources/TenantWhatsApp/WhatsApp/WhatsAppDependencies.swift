import Logging
import Resilience

/// Everything the WhatsApp handlers need, passed in: the seams unit tests replace with fakes.
struct WhatsAppDependencies: Sendable {
    /// Who may act on which tenant.
    let authorizer: TenantAuthorizer
    /// The tenant rows.
    let tenants: any TenantRepository
    /// One connect or disconnect at a time per tenant, across processes.
    let lock: any OperationLock
    /// The Evolution servers, each tenant's upstream among them.
    let servers: any EvolutionServers
    /// The audit trail.
    let audit: any AuditRecorder
    /// At most `EVOLUTION_MAX_PER_TENANT` Evolution-bound requests per tenant in this process.
    let tenantLimiter: KeyedLimiter<TenantID>
    /// At most `EVOLUTION_MAX_IN_FLIGHT` Evolution-bound requests in this process, below `--max-requests`: the rest
    /// of the workers are always free for health, readiness and answers from PostgreSQL.
    var evolutionAdmission = Bulkhead(limit: .max)
    /// Where committed state changes are announced to the event stream (docs/events.md).
    var publisher: any TenantStatePublisher = NoStatePublisher()
    /// Concurrent status checks of one tenant share one upstream call.
    let statusChecks: SingleFlight<TenantID, Result<StatusCheck, APIError>>
    /// Time limits.
    let settings: FlowSettings
    /// Time.
    let clock: FlowClock
    /// For alerts that are not about one request (a refused API key, a failed compensation).
    let logger: Logger
}
