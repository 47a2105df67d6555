import Postgres

extension PostgresTenantRepository {
    func recordPushedState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, eventTime: String?,
        clearQRCode: Bool, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        try record(
            status, of: name, for: tenant, generation: nil, eventTime: eventTime, clearQRCode: clearQRCode,
            changeAudit: changeAudit)
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
