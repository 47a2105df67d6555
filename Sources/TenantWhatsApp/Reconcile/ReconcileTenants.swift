import Postgres

/// The `tenants` rows as `reconcile` reads and writes them: the seam between the reconciler and PostgreSQL (the
/// product's implementation is ``ReconcileTenants``; unit tests pass the in-memory fake of the tenant rows).
protocol ReconcileStore: Sendable {
    /// Every tenant of the SaaS, by id.
    func all() throws(PostgresError) -> [TenantID: ReconcileRow]
    /// One tenant's row now, or nil when it is gone.
    func row(_ tenant: TenantID) throws(PostgresError) -> ReconcileRow?
    /// Stores `name` on `server` for `tenant` in state `status`, only while the tenant stores no name; false
    /// otherwise. A place the tenant had elsewhere is replaced: the instance is where it was found.
    func adopt(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, for tenant: TenantID
    ) throws(PostgresError) -> Bool
    /// Every instance a disconnect left on a disabled server.
    func pendingDeletions() throws(PostgresError) -> [PendingDeletion]
    /// Drops a pending deletion (carried out, or nothing left to delete).
    func forget(_ deletion: PendingDeletion) throws(PostgresError)
}

/// One tenant as reconcile sees it.
struct ReconcileRow: Sendable, Equatable {
    let tenant: TenantID
    let instanceName: String?
    /// Whether the stored instance was ever seen `open` since it was created or adopted.
    let everOpened: Bool
    /// How long ago the stored instance was created or adopted, on PostgreSQL's clock; nil without one.
    let instanceAge: Duration?
    /// The server the tenant is placed on (with an instance, or a place a connect took).
    var server: EvolutionServerID? = nil
}

/// An instance a disconnect left on a disabled server, for reconcile to delete once the server answers.
struct PendingDeletion: Sendable, Equatable {
    let server: EvolutionServerID
    let instanceName: String
    let tenant: TenantID
}

/// ``ReconcileStore`` on PostgreSQL.
struct ReconcileTenants: ReconcileStore {

    let pool: PostgresPool

    /// The columns reconcile reads of a tenant.
    private static let columns = """
        SELECT id, whatsapp_instance_name, whatsapp_opened_at IS NOT NULL AS ever_opened,
            (extract(epoch FROM now() - whatsapp_instance_created_at) * 1000)::bigint AS age_ms, evolution_server_id
        FROM tenants
        """

    /// Every tenant of the SaaS, by id.
    func all() throws(PostgresError) -> [TenantID: ReconcileRow] {
        var result: [TenantID: ReconcileRow] = [:]
        for row in try pool.query(Self.columns, retryOnConnectionLoss: true).compactMap(Self.reconcileRow) {
            result[row.tenant] = row
        }
        return result
    }

    /// One tenant's row now, or nil when it is gone (read again under the tenant's lock, before each change).
    func row(_ tenant: TenantID) throws(PostgresError) -> ReconcileRow? {
        try pool.query(Self.columns + " WHERE id = $1", [tenant.rawValue], retryOnConnectionLoss: true)
            .compactMap(Self.reconcileRow).first
    }

    private static func reconcileRow(_ row: PostgresRow) -> ReconcileRow? {
        guard let id = row["id"].flatMap(TenantID.init) else { return nil }
        return ReconcileRow(
            tenant: id, instanceName: row["whatsapp_instance_name"], everOpened: row["ever_opened"] == "t",
            instanceAge: row["age_ms"].flatMap { Int($0) }.map { .milliseconds($0) },
            server: row["evolution_server_id"].flatMap(EvolutionServerID.init))
    }

    /// Every pending deletion.
    func pendingDeletions() throws(PostgresError) -> [PendingDeletion] {
        let rows = try pool.query(
            "SELECT server_id, instance_name, tenant_id FROM evolution_pending_deletions ORDER BY requested_at",
            retryOnConnectionLoss: true)
        return rows.compactMap { row in
            guard let server = row["server_id"].flatMap(EvolutionServerID.init), let name = row["instance_name"],
                let tenant = row["tenant_id"].flatMap(TenantID.init)
            else { return nil }
            return PendingDeletion(server: server, instanceName: name, tenant: tenant)
        }
    }

    /// Drops a pending deletion (carried out, or nothing left to delete).
    func forget(_ deletion: PendingDeletion) throws(PostgresError) {
        try pool.query(
            "DELETE FROM evolution_pending_deletions WHERE server_id = $1 AND instance_name = $2",
            [deletion.server.rawValue, deletion.instanceName])
    }

    /// The connect's statement that stores an instance, only for a tenant that stores none.
    private static let adoptStatement = PostgresTenantRepository.attachStatement(onlyWithoutInstance: true)

    /// Stores `name` on `server` for `tenant` in state `status`, only while the tenant stores no name; false
    /// otherwise. A place the tenant had elsewhere is replaced: the instance is where it was found.
    func adopt(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, for tenant: TenantID
    ) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            Self.adoptStatement, [tenant.rawValue, name, status.rawValue, server.rawValue])
        return rows.first != nil
    }
}
