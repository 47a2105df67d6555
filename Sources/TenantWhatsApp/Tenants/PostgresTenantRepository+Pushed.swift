import Postgres

extension PostgresTenantRepository {
    func recordPushedState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, eventTime: String?,
        clearQRCode: Bool, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        let rows = try pool.query(
            """
            WITH before AS (
                SELECT id, whatsapp_status AS previous FROM tenants
                WHERE id = $1::text AND whatsapp_instance_name = $2::text FOR UPDATE
            ), updated AS (
                UPDATE tenants AS t SET whatsapp_status = $3::text, whatsapp_checked_at = now(),
                    whatsapp_connected_at = CASE
                        WHEN $3::text <> 'open' THEN NULL
                        WHEN t.whatsapp_status = 'open' THEN t.whatsapp_connected_at
                        ELSE now() END,
                    whatsapp_event_at = coalesce($4::timestamptz, t.whatsapp_event_at),
                    whatsapp_opened_at = CASE
                        WHEN $3::text = 'open' THEN coalesce(t.whatsapp_opened_at, now()) ELSE t.whatsapp_opened_at END,
                    whatsapp_qr_code = CASE WHEN $3::text = 'open' OR $5::boolean THEN NULL ELSE t.whatsapp_qr_code END,
                    whatsapp_qr_received_at = CASE
                        WHEN $3::text = 'open' OR $5::boolean THEN NULL ELSE t.whatsapp_qr_received_at END,
                    updated_at = CASE WHEN t.whatsapp_status IS DISTINCT FROM $3::text THEN now() ELSE t.updated_at END
                FROM before
                WHERE t.id = before.id
                    -- Ordered on Evolution's clock: an event older than the last one applied changes nothing.
                    AND ($4::timestamptz IS NULL OR t.whatsapp_event_at IS NULL OR t.whatsapp_event_at <= $4::timestamptz)
                RETURNING before.previous, t.whatsapp_checked_at
            ), audited AS (
                -- The change and its audit row in one statement.
                \(PostgresAuditTrail.insertInto)
                SELECT $1::text, $6::text, $3::text, NULL, $2::text, $7::text, $8::integer
                FROM updated WHERE updated.previous IS DISTINCT FROM $3::text
            )
            SELECT previous, \(SQLTime.iso("whatsapp_checked_at")) AS checked_at FROM updated
            """,
            [
                tenant.rawValue, name, status.rawValue, eventTime, clearQRCode ? "true" : "false",
                changeAudit.action.rawValue, changeAudit.requestID, String(changeAudit.durationMilliseconds),
            ])
        guard let row = rows.first, let checkedAt = row["checked_at"] else { return nil }
        return RecordedState(
            previous: row["previous"].flatMap(EvolutionConnectionState.init(rawValue:)), checkedAt: checkedAt)
    }

    func storePushedQRCode(
        _ dataURL: String, of name: String, for tenant: TenantID, eventTime: String?
    ) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            """
            UPDATE tenants SET whatsapp_qr_code = $3::text, whatsapp_qr_received_at = now(),
                whatsapp_event_at = coalesce($4::timestamptz, whatsapp_event_at)
            WHERE id = $1::text AND whatsapp_instance_name = $2::text AND whatsapp_status IS DISTINCT FROM 'open'
                AND ($4::timestamptz IS NULL OR whatsapp_event_at IS NULL OR whatsapp_event_at <= $4::timestamptz)
            """, [tenant.rawValue, name, dataURL, eventTime])
        return rows.affectedRowCount == 1
    }

    func pushedQRCode(
        of name: String, for tenant: TenantID, maximumAge: Duration
    ) throws(PostgresError) -> EvolutionQRCode? {
        let rows = try pool.query(
            """
            SELECT whatsapp_qr_code FROM tenants
            WHERE id = $1::text AND whatsapp_instance_name = $2::text AND whatsapp_status IS DISTINCT FROM 'open'
                AND whatsapp_qr_received_at > now() - $3::bigint * interval '1 millisecond'
            """, [tenant.rawValue, name, String(Int(maximumAge / .milliseconds(1)))], retryOnConnectionLoss: true)
        guard let dataURL = rows.first?["whatsapp_qr_code"] else { return nil }
        return EvolutionQRCode(pngDataURL: dataURL, code: nil, pairingCode: nil, count: 0)
    }
}
