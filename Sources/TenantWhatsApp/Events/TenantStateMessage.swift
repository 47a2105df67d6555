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

    /// Reads the rows of `tenants` in one statement: the message of each tenant that exists. `qrCodes`, QR codes
    /// connect just handed out, are shown when no newer pushed one is stored and the instance is not open.
    static func read(
        _ tenants: [TenantID], qrCodes: [TenantID: String], from pool: PostgresPool
    ) throws(PostgresError) -> [TenantID: TenantStateMessage] {
        // Tenant ids are [A-Za-z0-9_-]: a comma never occurs in one.
        let rows = try pool.query(
            """
            SELECT id, whatsapp_instance_name, whatsapp_status, whatsapp_state_version,
                \(SQLTime.iso("coalesce(whatsapp_checked_at, now())")) AS last_check,
                \(PostgresTenantRepository.detailColumns),
                CASE WHEN whatsapp_status IS DISTINCT FROM 'open'
                    AND whatsapp_qr_received_at > now() - $2::bigint * interval '1 millisecond'
                    THEN whatsapp_qr_code END AS pushed_qr_code
            FROM tenants WHERE id = ANY (string_to_array($1::text, ','))
            """,
            [tenants.map(\.rawValue).joined(separator: ","), String(Int(qrCodeMaximumAge / .milliseconds(1)))],
            retryOnConnectionLoss: true)
        var messages: [TenantID: TenantStateMessage] = [:]
        for row in rows {
            guard let tenant = row["id"].flatMap(TenantID.init), let lastCheck = row["last_check"] else { continue }
            let version = row["whatsapp_state_version"].flatMap { Int($0) } ?? 0
            let state = row["whatsapp_status"].flatMap(EvolutionConnectionState.init(rawValue:))
            guard let name = row["whatsapp_instance_name"], let state else {
                messages[tenant] = TenantStateMessage(
                    status: WhatsAppResponses.notCreatedBody(
                        tenant: tenant, lastCheck: lastCheck, details: PostgresTenantRepository.details(of: row)),
                    qrCode: nil, version: version)
                continue
            }
            let shownQRCode = state == .open ? nil : (row["pushed_qr_code"] ?? qrCodes[tenant])
            messages[tenant] = TenantStateMessage(
                status: WhatsAppResponses.statusBody(
                    state, instanceName: name, tenant: tenant, lastCheck: lastCheck,
                    details: PostgresTenantRepository.details(of: row)),
                qrCode: shownQRCode, version: version)
        }
        return messages
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
