import JSON
import Postgres

/// One message of the event stream (docs/events.md): exactly the body of `GET status`, plus `qrcode` (the pending
/// QR code's PNG data URL, or null) and `version` (PostgreSQL's `whatsapp_state_version`, which only grows per
/// tenant: a message carrying a lower version than one already shown is late, and the page ignores it).
struct TenantStateMessage: Sendable, Equatable {
    let body: JSONValue
    let version: Int

    /// How long a pushed QR code is shown: as long as connect would hand it out.
    static let qrCodeMaximumAge = FlowSettings.pushedQRMaximumAge

    /// Reads the tenant's row in one statement; nil when the tenant does not exist. `qrCode`, a QR code connect just
    /// handed out, is shown when no newer pushed one is stored and the instance is not open.
    static func read(
        _ tenant: TenantID, qrCode: String?, from pool: PostgresPool
    ) throws(PostgresError) -> TenantStateMessage? {
        let rows = try pool.query(
            """
            SELECT whatsapp_instance_name, whatsapp_status, whatsapp_state_version,
                \(SQLTime.iso("coalesce(whatsapp_checked_at, now())")) AS last_check,
                CASE WHEN whatsapp_status IS DISTINCT FROM 'open'
                    AND whatsapp_qr_received_at > now() - $2::bigint * interval '1 millisecond'
                    THEN whatsapp_qr_code END AS pushed_qr_code
            FROM tenants WHERE id = $1::text
            """,
            [tenant.rawValue, String(Int(qrCodeMaximumAge / .milliseconds(1)))], retryOnConnectionLoss: true)
        guard let row = rows.first, let lastCheck = row["last_check"] else { return nil }
        let version = row["whatsapp_state_version"].flatMap { Int($0) } ?? 0
        let state = row["whatsapp_status"].flatMap(EvolutionConnectionState.init(rawValue:))
        guard let name = row["whatsapp_instance_name"], let state else {
            return TenantStateMessage(
                status: WhatsAppResponses.notCreatedBody(tenant: tenant, lastCheck: lastCheck), qrCode: nil,
                version: version)
        }
        let shownQRCode = state == .open ? nil : (row["pushed_qr_code"] ?? qrCode)
        return TenantStateMessage(
            status: WhatsAppResponses.statusBody(state, instanceName: name, tenant: tenant, lastCheck: lastCheck),
            qrCode: shownQRCode, version: version)
    }

    /// The message for a status body.
    init(status: JSONValue, qrCode: String?, version: Int) {
        var members: [(String, JSONValue)] = []
        if case .object(let statusMembers) = status { members = statusMembers }
        members.append(("qrcode", .string(orNull: qrCode)))
        members.append(("version", .integer(version)))
        self.body = .object(members)
        self.version = version
    }
}
