import HTTPServer
import Logging
import Postgres
import Runtime

/// Brings PostgreSQL and Evolution into agreement: stored names Evolution lost, orphans of interrupted connects,
/// instances nobody ever scanned, instances of tenants that no longer exist (see ``ReconcileAction/Kind``).
///
/// Only instances named `tenant_{id}` are considered; anything else on the Evolution server is never touched. Every
/// change to an existing tenant happens under that tenant's operation lock (the one connect and disconnect take),
/// so it never races a user; a busy tenant is skipped. A live session is never destroyed: an orphan that is `open`
/// is adopted, and an instance is only expired when it is not open now and never was since it was created.
public final class Reconciler {
    let evolution: EvolutionClient
    let tenants: ReconcileTenants
    let repository: PostgresTenantRepository
    let lock: PostgresOperationLock
    let audit: PostgresAuditTrail
    let requestID = "reconcile-" + RequestID.generate()
    let startedAt = ContinuousClock.now
    var actions: [ReconcileAction] = []
    var options = ReconcileOptions()

    /// How long a tenant's lock is held at most for one action (a few Evolution calls).
    static let leaseDuration: Duration = .seconds(60)

    /// A reconciler on `pool` and Evolution's `configuration`.
    public init(configuration: EvolutionConfiguration, pool: PostgresPool, logger: Logger) throws(EvolutionError) {
        evolution = try EvolutionClient(configuration: configuration)
        tenants = ReconcileTenants(pool: pool)
        repository = PostgresTenantRepository(pool: pool)
        lock = PostgresOperationLock(pool: pool)
        audit = PostgresAuditTrail(pool: pool, logger: logger)
    }

    /// Runs once with `options`.
    public func run(_ options: ReconcileOptions) throws(ReconcileError) -> ReconcileReport {
        self.options = options
        actions = []
        let upstream = try listUpstream()
        let rows: [TenantID: ReconcileTenants.Row]
        do {
            rows = try tenants.all()
        } catch {
            throw .database(error.description)
        }
        for row in rows.values.sorted(by: { $0.tenant.rawValue < $1.tenant.rawValue }) {
            guard let name = row.instanceName else { continue }
            reconcileStored(row, name: name, upstream: upstream[row.tenant])
        }
        for (tenant, summary) in upstream.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            guard rows[tenant]?.instanceName != summary.name else { continue }
            reconcileUpstream(summary, of: tenant, row: rows[tenant])
        }
        return ReconcileReport(dryRun: options.dryRun, actions: actions)
    }

    /// Evolution's instances named `tenant_{id}`, by tenant.
    private func listUpstream() throws(ReconcileError) -> [TenantID: EvolutionInstanceSummary] {
        let summaries: [EvolutionInstanceSummary]
        do {
            summaries = try evolution.fetchInstances()
        } catch {
            throw .evolution(error)
        }
        var result: [TenantID: EvolutionInstanceSummary] = [:]
        for summary in summaries where summary.name.hasPrefix("tenant_") {
            guard let tenant = TenantID(String(summary.name.dropFirst("tenant_".count))),
                tenant.instanceName == summary.name
            else { continue }
            result[tenant] = summary
        }
        return result
    }

    // MARK: - Stored names

    private func reconcileStored(_ row: ReconcileTenants.Row, name: String, upstream: EvolutionInstanceSummary?) {
        guard upstream != nil else {
            act(.clearedGone, row.tenant, name, "Evolution no longer knows it") { () throws(ReconcileFailure) in
                if try detach(name, from: row.tenant) { record("instance_gone", row.tenant, name) }
            }
            return
        }
        guard !row.everOpened, let age = row.instanceAge, age >= options.staleAfter else { return }
        let state: EvolutionConnectionState
        do {
            state = try evolution.connectionState(instance: name)
        } catch {
            return report(.failed, row.tenant, name, "state unknown: \(error.description)")
        }
        guard state != .open else { return }
        act(.expired, row.tenant, name, "never connected, \(Self.describe(age)) old, \(state.rawValue)") {
            () throws(ReconcileFailure) in
            // Under the lock, look again: a user may have connected it meanwhile.
            guard let now = try reread(row.tenant), now.instanceName == name, !now.everOpened else { return }
            try deleteUpstream(name)
            if try detach(name, from: row.tenant) { record("expired", row.tenant, name) }
        }
    }

    // MARK: - Names only upstream

    private func reconcileUpstream(
        _ summary: EvolutionInstanceSummary, of tenant: TenantID, row: ReconcileTenants.Row?
    ) {
        let name = summary.name
        guard let row else {
            let detail =
                "no such tenant" + (options.deleteUnknownTenants ? "" : "; --delete-unknown-tenants deletes it")
            guard options.deleteUnknownTenants else { return report(.unknownTenant, tenant, name, detail) }
            return actUnlocked(.unknownTenant, tenant, name, detail) { () throws(ReconcileFailure) in
                try deleteUpstream(name)
                record("unknown_tenant_deleted", tenant, name)
            }
        }
        guard row.instanceName == nil else { return }
        let state: EvolutionConnectionState
        do {
            state = try evolution.connectionState(instance: name)
        } catch {
            return report(.failed, tenant, name, "state unknown: \(error.description)")
        }
        let age = Self.age(of: summary)
        if state != .open, let age, age >= options.staleAfter {
            act(.deletedOrphan, tenant, name, "orphan \(state.rawValue), \(Self.describe(age)) old") {
                () throws(ReconcileFailure) in
                guard let now = try reread(tenant), now.instanceName == nil else { return }
                try deleteUpstream(name)
                record("orphan_deleted", tenant, name)
            }
        } else {
            act(.adopted, tenant, name, "orphan \(state.rawValue)") { () throws(ReconcileFailure) in
                if try adopt(name, status: state, for: tenant) { record("adopted", tenant, name) }
            }
        }
    }
}
