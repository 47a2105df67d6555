import Postgres
import Runtime

/// ``TenantRepository`` on the process's PostgreSQL pool: each call borrows a connection for one statement.
struct PostgresTenantRepository: TenantRepository {
    let pool: PostgresPool

    /// Built once: every status check runs it, and its text is also the key of its prepared statement.
    private static let findStatement = """
        SELECT whatsapp_instance_name, whatsapp_status, \(SQLTime.iso("whatsapp_instance_created_at")) AS created_at,
            \(SQLTime.iso("whatsapp_checked_at")) AS checked_at,
            (extract(epoch FROM now() - whatsapp_checked_at) * 1000)::bigint AS checked_age_ms,
            (extract(epoch FROM now() - whatsapp_closed_at) * 1000)::bigint AS closed_age_ms,
            whatsapp_instance_generation, evolution_server_id, \(detailColumns)
        FROM tenants WHERE id = $1
        """

    /// What ``details(of:)`` reads of a `tenants` row.
    static let detailColumns = """
        whatsapp_account_jid, whatsapp_account_name, \(SQLTime.iso("whatsapp_connected_at")) AS connected_at,
            whatsapp_disconnect_reason, whatsapp_disconnect_code,
            \(SQLTime.iso("whatsapp_disconnected_at")) AS disconnected_at
        """

    /// The account and last disconnection of a row read with ``detailColumns``.
    static func details(of row: PostgresRow) -> StatusDetails {
        let account = row["whatsapp_account_jid"].map { ConnectedAccount(jid: $0, name: row["whatsapp_account_name"]) }
        var disconnection: Disconnection?
        if let reason = row["whatsapp_disconnect_reason"].flatMap(DisconnectionReason.init(rawValue:)),
            let at = row["disconnected_at"]
        {
            disconnection = Disconnection(
                reason: reason, code: row["whatsapp_disconnect_code"].flatMap { Int($0) }, at: at)
        }
        return StatusDetails(account: account, connectedAt: row["connected_at"], lastDisconnection: disconnection)
    }

    func find(_ tenant: TenantID) throws(PostgresError) -> TenantRecord? {
        let rows = try pool.query(Self.findStatement, [tenant.rawValue], retryOnConnectionLoss: true)
        guard let row = rows.first else { return nil }
        return TenantRecord(
            id: tenant, instanceName: row["whatsapp_instance_name"],
            status: row["whatsapp_status"].flatMap(EvolutionConnectionState.init(rawValue:)),
            instanceCreatedAt: row["created_at"], checkedAt: row["checked_at"],
            checkedAgeMilliseconds: row["checked_age_ms"].flatMap { Int($0) },
            closedAgeMilliseconds: row["closed_age_ms"].flatMap { Int($0) },
            generation: row["whatsapp_instance_generation"],
            server: row["evolution_server_id"].flatMap(EvolutionServerID.init), details: Self.details(of: row))
    }

    func place(_ tenant: TenantID) throws(PostgresError) -> EvolutionServerID? {
        // The function (sql/migrations/0007_evolution_servers.sql) locks the server rows, counts and places in one
        // transaction of its own.
        let rows = try pool.query("SELECT evolution_place_tenant($1) AS server", [tenant.rawValue])
        return rows.first?["server"].flatMap(EvolutionServerID.init)
    }

    func releasePlacement(of tenant: TenantID, on server: EvolutionServerID) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            """
            UPDATE tenants SET evolution_server_id = NULL
            WHERE id = $1 AND evolution_server_id = $2 AND whatsapp_instance_name IS NULL
            """, [tenant.rawValue, server.rawValue], retryOnConnectionLoss: true)
        return rows.affectedRowCount == 1
    }

    /// The one statement that stores an instance for a tenant (a connect's create or adoption, reconcile's adoption of
    /// an orphan): its name, server and state, a new generation, and nothing of the instance before it (neither its
    /// account nor its last disconnection). With
    /// `onlyWithoutInstance`, only while the tenant stores no name (reconcile never replaces one).
    static func attachStatement(onlyWithoutInstance: Bool) -> String {
        """
        UPDATE tenants SET whatsapp_instance_name = $2::text, whatsapp_status = $3::text,
            evolution_server_id = $4::text,
            whatsapp_instance_created_at = now(), whatsapp_checked_at = now(),
            whatsapp_connected_at = CASE WHEN $3::text = 'open' THEN now() END,
            whatsapp_opened_at = CASE WHEN $3::text = 'open' THEN now() END, whatsapp_qr_code = NULL,
            whatsapp_instance_generation = gen_random_uuid()::text,
            whatsapp_qr_received_at = NULL, whatsapp_event_at = NULL, \(clearedDetails), updated_at = now()
        WHERE id = $1::text\(onlyWithoutInstance ? " AND whatsapp_instance_name IS NULL" : "")
        RETURNING \(SQLTime.iso("whatsapp_instance_created_at")) AS created_at
        """
    }

    /// No account and no last disconnection.
    static let clearedDetails = """
        whatsapp_account_jid = NULL, whatsapp_account_name = NULL, whatsapp_disconnect_reason = NULL,
            whatsapp_disconnect_code = NULL, whatsapp_disconnected_at = NULL
        """

    private static let attachAnyStatement = attachStatement(onlyWithoutInstance: false)

    func attachInstance(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, to tenant: TenantID
    ) throws(PostgresError) -> String {
        let rows = try pool.query(Self.attachAnyStatement, [tenant.rawValue, name, status.rawValue, server.rawValue])
        guard let createdAt = rows.first?["created_at"] else {
            throw PostgresError(
                kind: .queryFailed, message: "the tenant row disappeared before the instance was stored")
        }
        return createdAt
    }

    func recordState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, generation: String?,
        detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        try record(
            status, of: name, for: tenant, generation: generation, eventTime: nil, clearQRCode: false,
            detail: detail, changeAudit: changeAudit)
    }

    /// The one statement that records a state, observed by a check or pushed by Evolution: the row locked as it
    /// was, the update, and the audit row when the state changed, so a change is never recorded without its audit
    /// row (or the other way round).
    ///
    /// With a `generation`, only the instance of that generation; with an `eventTime` (a pushed event's instant,
    /// UTC), only under ``PushedEventRules`` (an event older than the instance, or than the last one applied, changes
    /// nothing). `clearQRCode` drops the pushed QR code, which `open` always does. An `open` stores the account it
    /// carries ($10, $11; one without keeps the stored one) and clears the last disconnection; a reason ($12, with
    /// code $13) is recorded when none is, or replaces it with $14. The audit row (`close:{reason}`, the code as its
    /// `error_code`) is appended when the state, the reason or the code changed.
    static let recordStateStatement = """
        WITH before AS (
            -- Locked first, so concurrent writers see each other's state, never the same "before".
            SELECT id, whatsapp_status AS previous, whatsapp_disconnect_reason AS previous_reason,
                whatsapp_disconnect_code AS previous_code
            FROM tenants
            WHERE id = $1::text AND whatsapp_instance_name = $2::text
                AND ($4::text IS NULL OR whatsapp_instance_generation = $4::text)
            FOR UPDATE
        ), updated AS (
            UPDATE tenants AS t SET whatsapp_status = $3::text, whatsapp_checked_at = now(),
                whatsapp_connected_at = CASE
                    WHEN $3::text <> 'open' THEN NULL
                    WHEN t.whatsapp_status = 'open' THEN t.whatsapp_connected_at
                    ELSE now() END,
                whatsapp_event_at = coalesce($5::timestamptz, t.whatsapp_event_at),
                whatsapp_opened_at = CASE
                    WHEN $3::text = 'open' THEN coalesce(t.whatsapp_opened_at, now()) ELSE t.whatsapp_opened_at END,
                whatsapp_qr_code = CASE WHEN $3::text = 'open' OR $6::boolean THEN NULL ELSE t.whatsapp_qr_code END,
                whatsapp_qr_received_at = CASE
                    WHEN $3::text = 'open' OR $6::boolean THEN NULL ELSE t.whatsapp_qr_received_at END,
                whatsapp_account_jid = CASE
                    WHEN $3::text = 'open' AND $10::text IS NOT NULL THEN $10::text ELSE t.whatsapp_account_jid END,
                whatsapp_account_name = CASE
                    WHEN $3::text = 'open' AND $10::text IS NOT NULL THEN $11::text ELSE t.whatsapp_account_name END,
                -- Our disconnect's `user`, recorded as it began, is not replaced by the drop it causes.
                whatsapp_disconnect_reason = CASE WHEN $3::text = 'open' THEN NULL
                    WHEN \(requestedDisconnect) THEN t.whatsapp_disconnect_reason
                    WHEN $12::text IS NOT NULL AND ($14::boolean OR t.whatsapp_disconnect_reason IS NULL) THEN $12::text
                    ELSE t.whatsapp_disconnect_reason END,
                whatsapp_disconnect_code = CASE WHEN $3::text = 'open' THEN NULL
                    WHEN \(requestedDisconnect) THEN t.whatsapp_disconnect_code
                    WHEN $12::text IS NOT NULL AND ($14::boolean OR t.whatsapp_disconnect_reason IS NULL)
                        THEN $13::integer
                    ELSE t.whatsapp_disconnect_code END,
                -- A drop happened when its close began (sql/migrations/0012_close_duration.sql).
                whatsapp_disconnected_at = CASE WHEN $3::text = 'open' THEN NULL
                    WHEN $12::text IS NOT NULL THEN coalesce(t.whatsapp_disconnected_at,
                        CASE WHEN t.whatsapp_status = 'close' THEN t.whatsapp_closed_at END, now())
                    ELSE t.whatsapp_disconnected_at END,
                updated_at = CASE WHEN t.whatsapp_status IS DISTINCT FROM $3::text THEN now() ELSE t.updated_at END
            FROM before
            WHERE t.id = before.id
                -- A pushed event applies to the instance it concerns, in order (PushedEventRules).
                AND ($5::timestamptz IS NULL OR \(PushedEventRules.sql(row: "t", eventTime: "$5::timestamptz")))
            RETURNING before.previous, before.previous_reason, before.previous_code, t.whatsapp_checked_at,
                t.whatsapp_disconnect_reason AS reason, t.whatsapp_disconnect_code AS code, t.whatsapp_account_jid,
                t.whatsapp_account_name, t.whatsapp_connected_at, t.whatsapp_disconnect_reason,
                t.whatsapp_disconnect_code, t.whatsapp_disconnected_at
        ), audited AS (
            \(PostgresAuditTrail.insertInto)
            SELECT $1::text, $7::text,
                $3::text || CASE WHEN $12::text IS NOT NULL AND updated.reason IS NOT NULL
                    THEN ':' || updated.reason ELSE '' END,
                CASE WHEN $12::text IS NOT NULL THEN updated.code::text END, $2::text, $8::text, $9::integer
            FROM updated WHERE updated.previous IS DISTINCT FROM $3::text
                OR ($12::text IS NOT NULL AND (updated.reason IS DISTINCT FROM updated.previous_reason
                    OR updated.code IS DISTINCT FROM updated.previous_code))
        )
        SELECT previous, \(SQLTime.iso("whatsapp_checked_at")) AS checked_at, \(detailColumns) FROM updated
        """

    /// Runs ``recordStateStatement``.
    func record(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, generation: String?,
        eventTime: Timestamp?, clearQRCode: Bool, detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        let rows = try pool.query(
            Self.recordStateStatement,
            [
                tenant.rawValue, name, status.rawValue, generation, eventTime?.description,
                clearQRCode ? "true" : "false",
                changeAudit.action.rawValue, changeAudit.requestID, String(changeAudit.durationMilliseconds),
                detail.account?.jid, detail.account?.name, detail.reason?.rawValue, detail.code.map { String($0) },
                detail.replacesRecordedReason ? "true" : "false",
            ])
        guard let row = rows.first, let checkedAt = row["checked_at"] else { return nil }
        return RecordedState(
            previous: row["previous"].flatMap(EvolutionConnectionState.init(rawValue:)), checkedAt: checkedAt,
            details: Self.details(of: row))
    }

    func detachInstance(
        _ name: String, from tenant: TenantID, generation: String?, deleteLaterOn server: EvolutionServerID?,
        reason: DisconnectionReason?
    ) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            """
            WITH before AS (
                -- Locked first and read as it is then: a removal committed while this statement waited for the row
                -- is seen here, so one of the two updates below applies, never neither.
                SELECT id, coalesce(whatsapp_instance_name = $2::text
                        AND ($3::text IS NULL OR whatsapp_instance_generation = $3::text), false) AS ours,
                    whatsapp_instance_name IS NULL AS removed
                FROM tenants WHERE id = $1::text
                FOR UPDATE
            ), detached AS (
                UPDATE tenants AS t SET \(Self.detachedColumns),
                    whatsapp_disconnect_reason = coalesce($5::text, t.whatsapp_disconnect_reason),
                    whatsapp_disconnect_code = CASE WHEN $5::text IS NULL THEN t.whatsapp_disconnect_code END,
                    whatsapp_disconnected_at = CASE WHEN $5::text IS NULL THEN t.whatsapp_disconnected_at ELSE now() END
                FROM before
                WHERE t.id = before.id AND before.ours
                RETURNING t.id
            ), removedFirst AS (
                -- Evolution's removal of the instance we just deleted was applied first: the reason is still ours.
                UPDATE tenants AS t SET whatsapp_disconnect_reason = $5::text, whatsapp_disconnect_code = NULL,
                    whatsapp_disconnected_at = now()
                FROM before
                WHERE t.id = before.id AND $5::text IS NOT NULL AND before.removed
            ), remembered AS (
                INSERT INTO evolution_pending_deletions (server_id, instance_name, tenant_id)
                SELECT $4::text, $2::text, id FROM detached WHERE $4::text IS NOT NULL
                ON CONFLICT (server_id, instance_name) DO NOTHING
            )
            SELECT count(*) AS detached FROM detached
            """, [tenant.rawValue, name, generation, server?.rawValue, reason?.rawValue])
        return rows.first?["detached"] == "1"
    }

    /// How long a disconnect's `user` (``recordDisconnectRequested(of:for:generation:)``) stands against the reasons
    /// Evolution pushes: longer than a disconnect takes, short enough that one left by a process that died meanwhile
    /// does not hide a later, real drop for long.
    static let requestedDisconnectWindow = "interval '60 seconds'"

    /// The row `t` holds a disconnect of ours begun within ``requestedDisconnectWindow``.
    static let requestedDisconnect = """
        t.whatsapp_disconnect_reason = 'user' AND t.whatsapp_disconnected_at > now() - \(requestedDisconnectWindow)
        """

    /// What forgetting an instance sets: no name, state, QR code, server or account, and nothing of the instance's
    /// times; the last disconnection is the caller's.
    static let detachedColumns = """
        whatsapp_instance_name = NULL, whatsapp_status = NULL, whatsapp_connected_at = NULL,
            whatsapp_instance_created_at = NULL, whatsapp_checked_at = now(), whatsapp_qr_code = NULL,
            whatsapp_opened_at = NULL, whatsapp_instance_generation = NULL, evolution_server_id = NULL,
            whatsapp_qr_received_at = NULL, whatsapp_event_at = NULL, whatsapp_account_jid = NULL,
            whatsapp_account_name = NULL, updated_at = now()
        """
}

/// Timestamps as the API writes them, computed by PostgreSQL.
enum SQLTime {
    /// A timestamptz column as ISO 8601 UTC with milliseconds (`2025-08-27T14:03:11.532Z`), whatever the session's
    /// TimeZone and DateStyle.
    static func iso(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }
}
