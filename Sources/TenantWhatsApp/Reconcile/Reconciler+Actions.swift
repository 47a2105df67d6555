import HTTPServer
import Postgres
import Runtime

/// Why one action could not be completed (reported as `failed`, left for the next run).
struct ReconcileFailure: Error {
    let message: String
}

extension Reconciler {
    /// Takes `action` on an existing tenant under its operation lock; with `--dry-run` only reports it.
    func act(
        _ kind: ReconcileAction.Kind, _ tenant: TenantID, _ name: String, _ detail: String,
        _ body: () throws(ReconcileFailure) -> Void
    ) {
        guard !options.dryRun else { return report(kind, tenant, name, detail, done: false) }
        let attempt: OperationLockAttempt
        do {
            attempt = try lock.acquire(tenant, for: Self.leaseDuration)
        } catch {
            return report(.failed, tenant, name, "lock: \(error.description)")
        }
        switch attempt {
        case .acquired(let lease):
            defer { lock.release(lease) }
            run(kind, tenant, name, detail, body)
        case .held:
            report(.skippedBusy, tenant, name, "a connect or disconnect holds the tenant's lock")
        case .noSuchTenant:
            report(.failed, tenant, name, "the tenant was removed meanwhile")
        }
    }

    /// Takes `action` where there is no tenant row to lock (a tenant that does not exist).
    func actUnlocked(
        _ kind: ReconcileAction.Kind, _ tenant: TenantID, _ name: String, _ detail: String,
        _ body: () throws(ReconcileFailure) -> Void
    ) {
        guard !options.dryRun else { return report(kind, tenant, name, detail, done: false) }
        run(kind, tenant, name, detail, body)
    }

    private func run(
        _ kind: ReconcileAction.Kind, _ tenant: TenantID, _ name: String, _ detail: String,
        _ body: () throws(ReconcileFailure) -> Void
    ) {
        do {
            try body()
            report(kind, tenant, name, detail, done: true)
        } catch {
            report(.failed, tenant, name, "\(kind.rawValue): \(error.message)")
        }
    }

    /// Adds a line about a whole server to the report.
    func report(_ kind: ReconcileAction.Kind, server: EvolutionServerID, _ detail: String) {
        actions.append(
            ReconcileAction(
                kind: kind, tenantID: "", instanceName: "", detail: detail, done: false, server: server.rawValue))
    }

    /// Adds a line to the report.
    func report(
        _ kind: ReconcileAction.Kind, _ tenant: TenantID, _ name: String, _ detail: String, done: Bool = false
    ) {
        actions.append(
            ReconcileAction(kind: kind, tenantID: tenant.rawValue, instanceName: name, detail: detail, done: done))
    }

    // MARK: - Changes

    /// Deletes `name` on `server`, logging it out first when Evolution demands it; gone already is fine.
    func deleteUpstream(_ name: String, on server: Server) throws(ReconcileFailure) {
        let evolution = server.evolution
        do {
            try evolution.deleteInstance(named: name, deadline: callDeadline)
        } catch .notFound {
            return
        } catch .needsLogout {
            do {
                _ = try evolution.logout(instance: name, deadline: callDeadline)
                try evolution.deleteInstance(named: name, deadline: callDeadline)
            } catch {
                throw ReconcileFailure(message: error.description)
            }
        } catch {
            throw ReconcileFailure(message: error.description)
        }
    }

    /// Forgets the tenant's instance `name`; with a `reason`, recorded as the last disconnection in the same statement
    /// (also when Evolution's `remove.instance` of the instance just deleted was applied first).
    func detach(
        _ name: String, from tenant: TenantID, reason: DisconnectionReason? = nil
    ) throws(ReconcileFailure) -> Bool {
        do {
            return try repository.detachInstance(
                name, from: tenant, generation: nil, deleteLaterOn: nil, reason: reason)
        } catch {
            throw ReconcileFailure(message: error.description)
        }
    }

    func adopt(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, for tenant: TenantID
    ) throws(ReconcileFailure)
        -> Bool
    {
        do {
            let adopted = try tenants.adopt(name, on: server, status: status, for: tenant)
            if adopted { publisher.publish(tenant, qrCode: nil) }
            return adopted
        } catch {
            throw ReconcileFailure(message: error.description)
        }
    }

    func reread(_ tenant: TenantID) throws(ReconcileFailure) -> ReconcileRow? {
        do {
            return try tenants.row(tenant)
        } catch {
            throw ReconcileFailure(message: error.description)
        }
    }

    /// Appends the audit row of a change.
    func record(_ outcome: String, _ tenant: TenantID, _ name: String) {
        audit.record(
            AuditEntry(
                tenant: tenant, action: .reconcile, outcome: outcome, errorCode: nil, instanceName: name,
                requestID: requestID, duration: .now - startedAt))
    }

    // MARK: - Ages

    /// How long ago Evolution created the instance, on our wall clock; nil when it does not say.
    static func age(of summary: EvolutionInstanceSummary) -> Duration? {
        guard let text = summary.createdAt, let created = Timestamp(iso8601: text) else { return nil }
        return .milliseconds(max(0, Timestamp.now().millisecondsSinceEpoch - created.millisecondsSinceEpoch))
    }

    /// `3d`, `5h`, `12m` or `40s`.
    static func describe(_ duration: Duration) -> String {
        let seconds = Int(duration / .seconds(1))
        if seconds >= 86_400 { return "\(seconds / 86_400)d" }
        if seconds >= 3600 { return "\(seconds / 3600)h" }
        if seconds >= 60 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
