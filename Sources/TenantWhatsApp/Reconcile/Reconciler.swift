import HTTPServer
import Logging
import Postgres
import Resilience
import Runtime

/// Brings PostgreSQL and the Evolution servers into agreement: stored names Evolution lost, orphans of interrupted
/// connects, instances nobody ever scanned, instances of tenants that no longer exist, places nobody used, instances
/// left on a disabled server (see ``ReconcileAction/Kind``).
///
/// Only instances named `tenant_{id}` are considered; anything else on an Evolution server is never touched. Every
/// change to an existing tenant happens under that tenant's operation lock (the one connect and disconnect take),
/// so it never races a user; a busy tenant is skipped. A live session is never destroyed: an orphan that is `open`
/// is adopted, and an instance is only expired when it is not open now and never was since it was created.
///
/// Every server that is not disabled is read. A server that does not answer is reported, and its tenants are left as
/// they are: a server that did not answer is "unknown", never "empty". An orphan is adopted together with the server
/// it was found on; the same `tenant_{id}` on two servers is reported and never deleted automatically.
///
/// It works through the same seams as the request handlers (``EvolutionAPI`` per server, ``TenantRepository``,
/// ``OperationLock``, ``AuditRecorder``) and ``ReconcileStore``; unit tests pass the in-memory fakes.
public final class Reconciler {
    /// One server as reconcile reaches it.
    struct Server: Sendable {
        let id: EvolutionServerID
        let state: EvolutionServerState
        let evolution: any EvolutionAPI
    }

    let servers: [Server]
    let tenants: any ReconcileStore
    let repository: any TenantRepository
    let lock: any OperationLock
    let audit: any AuditRecorder
    /// Where each change is announced to the event stream (docs/events.md).
    var publisher: any TenantStatePublisher = NoStatePublisher()
    let requestID = "reconcile-" + RequestID.generate()
    let startedAt = ContinuousClock.now
    var actions: [ReconcileAction] = []
    var options = ReconcileOptions()

    /// How long a tenant's lock is held at most for one action (a few Evolution calls).
    static let leaseDuration: Duration = .seconds(60)
    /// The deadline given to each Evolution call: the server's own per-call timeout (`EVOLUTION_TIMEOUT_MS`) is what
    /// bounds it, as there is no request to answer.
    static let callBudget: Duration = .seconds(300)

    /// A reconciler of `servers` through these seams.
    init(
        servers: [Server], tenants: any ReconcileStore, repository: any TenantRepository, lock: any OperationLock,
        audit: any AuditRecorder
    ) {
        self.servers = servers
        self.tenants = tenants
        self.repository = repository
        self.lock = lock
        self.audit = audit
    }

    /// A reconciler of every server known to `configuration` (the registered ones in `pool`'s database, and
    /// `EVOLUTION_API_URL` as `default` unless registered), or of the one named `only`; each change it makes is
    /// published to the event stream through `publisher`.
    public convenience init(
        configuration: Configuration, pool: PostgresPool, logger: Logger, only: EvolutionServerID? = nil,
        publisher: ReconcilePublisher = .none
    ) throws(ReconcileError) {
        let resolved: [ResolvedEvolutionServer]
        do {
            resolved = try ResolvedEvolutionServer.all(
                registry: EvolutionServerRegistry(pool: pool),
                secrets: configuration.secrets.map(EvolutionServerSecrets.init),
                implicitDefault: configuration.evolution,
                timeoutMilliseconds: configuration.evolutionTimeoutMilliseconds)
        } catch {
            throw .servers(error.description)
        }
        let servers = resolved.filter { only == nil || $0.id == only }.map { server in
            Server(
                id: server.id, state: server.state,
                evolution: GuardedEvolution(
                    server: server.id, configuration: server.configuration,
                    breaker: CircuitBreaker(
                        failureThreshold: configuration.breakerFailures,
                        cooldown: .milliseconds(configuration.breakerCooldownMilliseconds)),
                    webhook: nil))
        }
        if let only, servers.isEmpty { throw .unknownServer(only.rawValue) }
        self.init(
            servers: servers, tenants: ReconcileTenants(pool: pool),
            repository: PublishingTenantRepository(
                base: PostgresTenantRepository(pool: pool), publisher: publisher.statePublisher),
            lock: PostgresOperationLock(pool: pool), audit: PostgresAuditTrail(pool: pool, logger: logger))
        self.publisher = publisher.statePublisher
    }

    /// When the next Evolution call must have its answer.
    var callDeadline: ContinuousClock.Instant { .now + Self.callBudget }

    /// What one server holds, once listed.
    struct Listing {
        let server: Server
        let instances: [TenantID: EvolutionInstanceSummary]
    }

    /// Runs once with `options`.
    public func run(_ options: ReconcileOptions) throws(ReconcileError) -> ReconcileReport {
        self.options = options
        actions = []
        let listings = try listServers()
        let rows: [TenantID: ReconcileRow]
        let pending: [PendingDeletion]
        do {
            rows = try tenants.all()
            pending = try tenants.pendingDeletions()
        } catch {
            throw .database(error.description)
        }
        let listed = Dictionary(uniqueKeysWithValues: listings.map { ($0.server.id, $0) })
        for row in rows.values.sorted(by: { $0.tenant.rawValue < $1.tenant.rawValue }) {
            // Only what a listed server can vouch for: the tenants of a server that did not answer stay as they are.
            guard let server = row.server, let listing = listed[server] else { continue }
            if let name = row.instanceName {
                reconcileStored(row, name: name, upstream: listing.instances[row.tenant], on: listing.server)
            } else if listing.instances[row.tenant] == nil {
                releaseUnusedPlace(of: row, on: listing.server)
            }
        }
        let duplicated = reportDuplicates(listings, pending: pending)
        for listing in listings {
            for (tenant, summary) in listing.instances.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let row = rows[tenant]
                // A deletion left for this instance is carried out, or forgotten when it is the tenant's own again.
                if let deletion = pending.first(where: {
                    $0.server == listing.server.id && $0.instanceName == summary.name
                }) {
                    deletePending(deletion, on: listing.server, row: row)
                    continue
                }
                if row?.instanceName == summary.name && row?.server == listing.server.id { continue }
                if duplicated.contains(tenant) { continue }
                reconcileUpstream(summary, of: tenant, row: row, on: listing.server)
            }
        }
        forgetPendingDeletionsAlreadyGone(pending, listed: listed)
        return ReconcileReport(dryRun: options.dryRun, actions: actions)
    }

    /// Every non-disabled server's instances named `tenant_{id}`, by tenant; a server that does not answer is
    /// reported (`server_unreachable`) and left out. Throws only when no server at all could be listed.
    private func listServers() throws(ReconcileError) -> [Listing] {
        var listings: [Listing] = []
        var lastFailure: EvolutionError?
        for server in servers {
            guard server.state != .disabled else {
                report(.skippedServer, server: server.id, "disabled: no call is made to it")
                continue
            }
            do {
                listings.append(
                    Listing(
                        server: server,
                        instances: Self.ours(try server.evolution.fetchInstances(deadline: callDeadline))))
            } catch {
                lastFailure = error
                report(.serverUnreachable, server: server.id, "its tenants were left as they are: \(error.description)")
            }
        }
        if listings.isEmpty, let lastFailure { throw .evolution(lastFailure) }
        return listings
    }

    /// The instances named `tenant_{id}` among `summaries`, by tenant.
    private static func ours(_ summaries: [EvolutionInstanceSummary]) -> [TenantID: EvolutionInstanceSummary] {
        var result: [TenantID: EvolutionInstanceSummary] = [:]
        for summary in summaries where summary.name.hasPrefix("tenant_") {
            guard let tenant = TenantID(String(summary.name.dropFirst("tenant_".count))),
                tenant.instanceName == summary.name
            else { continue }
            result[tenant] = summary
        }
        return result
    }

    /// Reports every tenant whose instance name exists on more than one server, and returns them: such an instance
    /// is never deleted or adopted automatically (an operator decides which one is the tenant's). An instance left
    /// for deletion on a server (`pending`: disconnected while it was disabled) is not a copy: the tenant may have
    /// connected on another server since, and that leftover is deleted, not reported.
    private func reportDuplicates(
        _ listings: [Listing], pending: [PendingDeletion]
    ) -> Set<TenantID> {
        var holders: [TenantID: [EvolutionServerID]] = [:]
        for listing in listings {
            for (tenant, summary) in listing.instances
            where !pending.contains(where: { $0.server == listing.server.id && $0.instanceName == summary.name }) {
                holders[tenant, default: []].append(listing.server.id)
            }
        }
        var duplicated: Set<TenantID> = []
        for (tenant, servers) in holders.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where servers.count > 1 {
            duplicated.insert(tenant)
            report(
                .duplicateName, tenant, tenant.instanceName,
                "on servers \(servers.map(\.rawValue).sorted().joined(separator: ", ")): left for an operator")
        }
        return duplicated
    }

    // MARK: - Stored names

    private func reconcileStored(
        _ row: ReconcileRow, name: String, upstream: EvolutionInstanceSummary?, on server: Server
    ) {
        guard upstream != nil else {
            act(.clearedGone, row.tenant, name, "Evolution server \(server.id) no longer knows it") {
                () throws(ReconcileFailure) in
                if try detach(name, from: row.tenant) { record("instance_gone", row.tenant, name) }
            }
            return
        }
        guard !row.everOpened, let age = row.instanceAge, age >= options.staleAfter else { return }
        let state: EvolutionConnectionState
        do {
            state = try server.evolution.connectionState(instance: name, deadline: callDeadline)
        } catch {
            return report(.failed, row.tenant, name, "state unknown: \(error.description)")
        }
        guard state != .open else { return }
        act(.expired, row.tenant, name, "never connected, \(Self.describe(age)) old, \(state.rawValue)") {
            () throws(ReconcileFailure) in
            // Under the lock, look again: a user may have connected it meanwhile.
            guard let now = try reread(row.tenant), now.instanceName == name, !now.everOpened else { return }
            try deleteUpstream(name, on: server)
            // Status then shows why the instance is gone: `expired` (docs/api.md).
            if try detach(name, from: row.tenant, reason: .expired) { record("expired", row.tenant, name) }
        }
    }

    /// A place taken by a connect that never stored an instance (its create failed, or its process was killed), with
    /// no instance on that server: given back, under the tenant's lock (a connect under way holds it).
    private func releaseUnusedPlace(of row: ReconcileRow, on server: Server) {
        let name = row.tenant.instanceName
        act(.releasedPlace, row.tenant, name, "placed on \(server.id) without an instance") {
            () throws(ReconcileFailure) in
            do throws(PostgresError) {
                if try repository.releasePlacement(of: row.tenant, on: server.id) {
                    record("place_released", row.tenant, name)
                }
            } catch {
                throw ReconcileFailure(message: error.description)
            }
        }
    }

    // MARK: - Names only upstream

    private func reconcileUpstream(
        _ summary: EvolutionInstanceSummary, of tenant: TenantID, row: ReconcileRow?, on server: Server
    ) {
        let name = summary.name
        guard let row else {
            let detail =
                "no such tenant (on \(server.id))"
                + (options.deleteUnknownTenants ? "" : "; --delete-unknown-tenants deletes it")
            guard options.deleteUnknownTenants else { return report(.unknownTenant, tenant, name, detail) }
            return actUnlocked(.unknownTenant, tenant, name, detail) { () throws(ReconcileFailure) in
                try deleteUpstream(name, on: server)
                record("unknown_tenant_deleted", tenant, name)
            }
        }
        guard row.instanceName == nil else {
            // The tenant's instance lives on another server: this one is a second copy, for an operator to judge.
            return report(
                .duplicateName, tenant, name,
                "on \(server.id), while the tenant's instance is on \(row.server?.rawValue ?? "?"): left for an operator"
            )
        }
        let state: EvolutionConnectionState
        do {
            state = try server.evolution.connectionState(instance: name, deadline: callDeadline)
        } catch {
            return report(.failed, tenant, name, "state unknown: \(error.description)")
        }
        let age = Self.age(of: summary)
        if state != .open, let age, age >= options.staleAfter {
            act(.deletedOrphan, tenant, name, "orphan \(state.rawValue) on \(server.id), \(Self.describe(age)) old") {
                () throws(ReconcileFailure) in
                guard let now = try reread(tenant), now.instanceName == nil else { return }
                try deleteUpstream(name, on: server)
                if now.server == server.id { _ = try? repository.releasePlacement(of: tenant, on: server.id) }
                record("orphan_deleted", tenant, name)
            }
        } else {
            act(.adopted, tenant, name, "orphan \(state.rawValue) on \(server.id)") { () throws(ReconcileFailure) in
                if try adopt(name, on: server.id, status: state, for: tenant) { record("adopted", tenant, name) }
            }
        }
    }

    // MARK: - Instances left on a disabled server

    /// Deletes an instance a disconnect left on a server that was disabled then, now that it answers, unless it is
    /// the tenant's instance again (placed there anew and adopted).
    private func deletePending(
        _ deletion: PendingDeletion, on server: Server, row: ReconcileRow?
    ) {
        let tenant = deletion.tenant
        if row?.instanceName == deletion.instanceName && row?.server == server.id {
            return forgetPending(deletion)
        }
        act(.deletedPending, tenant, deletion.instanceName, "disconnected while \(server.id) was disabled") {
            () throws(ReconcileFailure) in
            guard let now = try reread(tenant),
                !(now.instanceName == deletion.instanceName && now.server == server.id)
            else { return forgetPending(deletion) }
            try deleteUpstream(deletion.instanceName, on: server)
            forgetPending(deletion)
            record("pending_deleted", tenant, deletion.instanceName)
        }
    }

    /// Pending deletions on a listed server whose instance is gone already: nothing left to do.
    private func forgetPendingDeletionsAlreadyGone(
        _ pending: [PendingDeletion], listed: [EvolutionServerID: Listing]
    ) {
        guard !options.dryRun else { return }
        for deletion in pending {
            guard let listing = listed[deletion.server], listing.instances[deletion.tenant] == nil else { continue }
            forgetPending(deletion)
        }
    }

    private func forgetPending(_ deletion: PendingDeletion) {
        guard !options.dryRun else { return }
        _ = try? tenants.forget(deletion)
    }
}
