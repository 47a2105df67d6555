import Postgres
import Runtime

extension PostgresTenantRepository {
    func recordPushedState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, at eventTime: Timestamp,
        clearQRCode: Bool, detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        try record(
            status, of: name, for: tenant, generation: nil, eventTime: eventTime, clearQRCode: clearQRCode,
            detail: detail, changeAudit: changeAudit)
    }

    private static let storePushedQRCodeStatement = """
        UPDATE tenants AS t SET whatsapp_qr_code = $3::text, whatsapp_qr_received_at = now(),
            whatsapp_event_at = $4::timestamptz
        WHERE t.id = $1::text AND t.whatsapp_instance_name = $2::text AND t.whatsapp_status IS DISTINCT FROM 'open'
            AND \(PushedEventRules.sql(row: "t", eventTime: "$4::timestamptz"))
        """

    func storePushedQRCode(
        _ dataURL: String, of name: String, for tenant: TenantID, at eventTime: Timestamp
    ) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            Self.storePushedQRCodeStatement, [tenant.rawValue, name, dataURL, eventTime.description])
        return rows.affectedRowCount == 1
    }

    private static let detachRemovedInstanceStatement = """
        UPDATE tenants AS t SET \(detachedColumns),
            -- Removed, unless a reason was recorded for this drop (a close's code, a logout).
            whatsapp_disconnect_reason = coalesce(t.whatsapp_disconnect_reason, 'removed'),
            whatsapp_disconnected_at = coalesce(t.whatsapp_disconnected_at, now())
        WHERE t.id = $1::text AND t.whatsapp_instance_name = $2::text
            AND \(PushedEventRules.sql(row: "t", eventTime: "$3::timestamptz"))
        """

    func detachRemovedInstance(
        _ name: String, from tenant: TenantID, at eventTime: Timestamp
    ) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            Self.detachRemovedInstanceStatement, [tenant.rawValue, name, eventTime.description])
        return rows.affectedRowCount == 1
    }

    func clearConnectionDetails(of name: String, for tenant: TenantID) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            """
            UPDATE tenants SET \(Self.clearedDetails)
            WHERE id = $1::text AND whatsapp_instance_name = $2::text
                AND (whatsapp_account_jid IS NOT NULL OR whatsapp_disconnect_reason IS NOT NULL)
            """, [tenant.rawValue, name])
        return rows.affectedRowCount == 1
    }

    func recordDisconnectRequested(
        of name: String, for tenant: TenantID, generation: String?
    ) throws(PostgresError) {
        try pool.query(
            """
            UPDATE tenants SET whatsapp_disconnect_reason = 'user', whatsapp_disconnect_code = NULL,
                whatsapp_disconnected_at = now()
            WHERE id = $1::text AND whatsapp_instance_name = $2::text
                AND ($3::text IS NULL OR whatsapp_instance_generation = $3::text)
                AND whatsapp_status IN ('open', 'connecting')
            """, [tenant.rawValue, name, generation])
    }

    func withdrawDisconnectRequest(of name: String, for tenant: TenantID) throws(PostgresError) {
        try pool.query(
            """
            UPDATE tenants SET whatsapp_disconnect_reason = NULL, whatsapp_disconnect_code = NULL,
                whatsapp_disconnected_at = NULL
            WHERE id = $1::text AND whatsapp_instance_name = $2::text AND whatsapp_disconnect_reason = 'user'
                AND whatsapp_status IN ('open', 'connecting')
            """, [tenant.rawValue, name])
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
