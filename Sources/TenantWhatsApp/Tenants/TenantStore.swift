import Postgres

/// The `tenants` table as the WhatsApp routes use it: one parameterised statement per call, never a transaction
/// held across an upstream call.
///
/// Every write is conditional on the instance name it expects, so a request that lost a race (another process
/// detached or replaced the instance meanwhile) changes nothing instead of overwriting newer state.
final class TenantStore {
    private let database: PostgresSession

    /// A store on this worker thread's session.
    init(database: PostgresSession) {
        self.database = database
    }

    /// The tenant's row, or nil when the SaaS has no such tenant.
    func find(_ tenant: TenantID) throws(PostgresError) -> TenantRecord? {
        let rows = try database.query(
            """
            SELECT whatsapp_instance_name, whatsapp_status, \(Self.iso("whatsapp_instance_created_at")) AS created_at
            FROM tenants WHERE id = $1
            """, [tenant.rawValue], retryOnConnectionLoss: true)
        guard let row = rows.first else { return nil }
        return TenantRecord(
            id: tenant, instanceName: row["whatsapp_instance_name"],
            status: row["whatsapp_status"].flatMap(EvolutionConnectionState.init(rawValue:)),
            instanceCreatedAt: row["created_at"])
    }

    /// Stores `name` as the tenant's instance in state `status`; returns its creation time (ISO 8601).
    ///
    /// Throws when the row is gone or the write fails: the caller then owns an upstream instance nobody
    /// records, and must compensate.
    func attachInstance(
        _ name: String, status: EvolutionConnectionState, to tenant: TenantID
    ) throws(PostgresError) -> String {
        let rows = try database.query(
            """
            UPDATE tenants SET whatsapp_instance_name = $2::text, whatsapp_status = $3::text,
                whatsapp_instance_created_at = now(), whatsapp_checked_at = now(),
                whatsapp_connected_at = CASE WHEN $3::text = 'open' THEN now() END, updated_at = now()
            WHERE id = $1::text
            RETURNING \(Self.iso("whatsapp_instance_created_at")) AS created_at
            """, [tenant.rawValue, name, status.rawValue])
        guard let createdAt = rows.first?["created_at"] else {
            throw PostgresError(
                kind: .queryFailed, message: "the tenant row disappeared before the instance was stored")
        }
        return createdAt
    }

    /// Records the state just observed for the tenant's instance `name`: the status, when it was checked, and
    /// when the connection opened (kept while open, cleared otherwise).
    ///
    /// Returns the state recorded before and the check time (ISO 8601), or nil when the tenant no longer has
    /// this instance.
    func recordState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID
    ) throws(PostgresError) -> (previous: EvolutionConnectionState?, checkedAt: String)? {
        let rows = try database.query(
            """
            UPDATE tenants AS t SET whatsapp_status = $3::text, whatsapp_checked_at = now(),
                whatsapp_connected_at = CASE
                    WHEN $3::text <> 'open' THEN NULL
                    WHEN t.whatsapp_status = 'open' THEN t.whatsapp_connected_at
                    ELSE now() END,
                updated_at = CASE WHEN t.whatsapp_status IS DISTINCT FROM $3::text THEN now() ELSE t.updated_at END
            -- The row as it was: locked first, so concurrent checks see each other's state, never the same "before".
            FROM (
                SELECT id, whatsapp_status AS previous FROM tenants
                WHERE id = $1::text AND whatsapp_instance_name = $2::text FOR UPDATE
            ) AS before
            WHERE t.id = before.id
            RETURNING before.previous, \(Self.iso("t.whatsapp_checked_at")) AS checked_at
            """, [tenant.rawValue, name, status.rawValue])
        guard let row = rows.first, let checkedAt = row["checked_at"] else { return nil }
        return (row["previous"].flatMap(EvolutionConnectionState.init(rawValue:)), checkedAt)
    }

    /// Forgets the tenant's instance `name`, so that the next connect starts clean. Returns false when the tenant
    /// no longer had this instance.
    @discardableResult
    func detachInstance(_ name: String, from tenant: TenantID) throws(PostgresError) -> Bool {
        let rows = try database.query(
            """
            UPDATE tenants SET whatsapp_instance_name = NULL, whatsapp_status = NULL, whatsapp_connected_at = NULL,
                whatsapp_instance_created_at = NULL, whatsapp_checked_at = now(), updated_at = now()
            WHERE id = $1::text AND whatsapp_instance_name = $2::text
            """, [tenant.rawValue, name])
        return rows.affectedRowCount == 1
    }

    /// Takes the tenant's operation lock for this session, or returns false when another session (any process,
    /// any host) holds it.
    ///
    /// A session-level advisory lock, not a transaction: it may be held across upstream calls, and PostgreSQL
    /// releases it by itself if the connection dies, so a crashed responder never leaves a tenant locked.
    func tryLock(_ tenant: TenantID) throws(PostgresError) -> Bool {
        let rows = try database.query(
            "SELECT pg_try_advisory_lock(hashtextextended($1::text, 0)) AS locked", [Self.lockName(tenant)],
            retryOnConnectionLoss: true)
        return rows.first?["locked"] == "t"
    }

    /// Releases the lock taken by ``tryLock(_:)``. A lost connection has released it already.
    func unlock(_ tenant: TenantID) {
        _ = try? database.query(
            "SELECT pg_advisory_unlock(hashtextextended($1::text, 0))", [Self.lockName(tenant)])
    }

    private static func lockName(_ tenant: TenantID) -> String {
        "tenant-whatsapp/tenant/" + tenant.rawValue
    }

    /// A timestamptz column as ISO 8601 UTC with milliseconds (`2025-08-27T14:03:11.532Z`), whatever the session's
    /// TimeZone and DateStyle.
    private static func iso(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }
}
