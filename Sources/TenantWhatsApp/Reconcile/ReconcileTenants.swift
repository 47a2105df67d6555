import Postgres

/// The `tenants` rows as `reconcile` reads and writes them.
struct ReconcileTenants {
    /// One tenant as reconcile sees it.
    struct Row: Sendable {
        let tenant: TenantID
        let instanceName: String?
        /// Whether the stored instance was ever seen `open` since it was created or adopted.
        let everOpened: Bool
        /// How long ago the stored instance was created or adopted, on PostgreSQL's clock; nil without one.
        let instanceAge: Duration?
    }

    let pool: PostgresPool

    /// Every tenant of the SaaS, by id.
    func all() throws(PostgresError) -> [TenantID: Row] {
        let rows = try pool.query(
            """
            SELECT id, whatsapp_instance_name, whatsapp_opened_at IS NOT NULL AS ever_opened,
                (extract(epoch FROM now() - whatsapp_instance_created_at) * 1000)::bigint AS age_ms
            FROM tenants
            """, retryOnConnectionLoss: true)
        var result: [TenantID: Row] = [:]
        for row in rows {
            guard let id = row["id"].flatMap(TenantID.init) else { continue }
            result[id] = Row(
                tenant: id, instanceName: row["whatsapp_instance_name"], everOpened: row["ever_opened"] == "t",
                instanceAge: row["age_ms"].flatMap { Int($0) }.map { .milliseconds($0) })
        }
        return result
    }

    /// One tenant's row now, or nil when it is gone.
    func row(_ tenant: TenantID) throws(PostgresError) -> Row? {
        try all()[tenant]
    }

    /// Stores `name` for `tenant` in state `status`, only while the tenant stores no name; false otherwise.
    func adopt(_ name: String, status: EvolutionConnectionState, for tenant: TenantID) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            """
            UPDATE tenants SET whatsapp_instance_name = $2::text, whatsapp_status = $3::text,
                whatsapp_instance_created_at = now(), whatsapp_checked_at = now(),
                whatsapp_connected_at = CASE WHEN $3::text = 'open' THEN now() END,
                whatsapp_opened_at = CASE WHEN $3::text = 'open' THEN now() END,
                whatsapp_instance_generation = gen_random_uuid()::text, updated_at = now()
            WHERE id = $1::text AND whatsapp_instance_name IS NULL
            RETURNING 1 AS adopted
            """, [tenant.rawValue, name, status.rawValue])
        return rows.first != nil
    }
}
