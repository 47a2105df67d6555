import JSON
import Postgres

/// One row of the outbox (`whatsapp_event_outbox`) being delivered: what the event says, as it was when the change
/// was written, and its attempts so far.
struct OutboxEvent: Sendable, Equatable {
    /// The row's id: the order of the tenant's events.
    let id: Int64
    /// `webhook-id`: the same for every attempt.
    let eventID: String
    let type: String
    let tenantID: String
    /// When the change was written, ISO 8601 (PostgreSQL's clock).
    let createdAt: String
    let instanceName: String?
    /// `connecting`, `open`, `close` or `not_created`.
    let status: String
    let reason: String?
    let account: ConnectedAccount?
    let connectedAt: String?
    let server: String?
    /// The QR code image of a `whatsapp.qrcode` (with `EVENTS_WEBHOOK_QRCODE=image`).
    let qrCode: String?
    /// Attempts made, the one under way included.
    let attempts: Int

    /// The columns ``init(row:)`` reads.
    static let columns = """
        id, event_id, type, tenant_id, \(SQLTime.iso("created_at")) AS created_at, instance_name, status, reason,
            account_jid, account_name, \(SQLTime.iso("connected_at")) AS connected_at, server_id, qr_code, attempts
        """

    init?(row: PostgresRow) {
        guard let id = row["id"].flatMap({ Int64($0) }), let eventID = row["event_id"], let type = row["type"],
            let tenantID = row["tenant_id"], let createdAt = row["created_at"], let status = row["status"],
            let attempts = row["attempts"].flatMap({ Int($0) })
        else { return nil }
        self.id = id
        self.eventID = eventID
        self.type = type
        self.tenantID = tenantID
        self.createdAt = createdAt
        self.instanceName = row["instance_name"]
        self.status = status
        self.reason = row["reason"]
        self.account = row["account_jid"].map { ConnectedAccount(jid: $0, name: row["account_name"]) }
        self.connectedAt = row["connected_at"]
        self.server = row["server_id"]
        self.qrCode = row["qr_code"]
        self.attempts = attempts
    }

    /// The body POSTed: `{"type", "timestamp", "data": {tenantId, instanceName, status, reason?, account?,
    /// server?}}`, the same bytes at every attempt.
    var body: [UInt8] {
        var data: [(String, JSONValue)] = [
            ("tenantId", .string(tenantID)), ("instanceName", .string(orNull: instanceName)),
            ("status", .string(status)),
        ]
        if let reason, let known = DisconnectionReason(rawValue: reason) {
            data.append(("reason", .string(known.rawValue)))
            data.append(("message", .string(known.message)))
        }
        if let account {
            data.append(
                (
                    "account",
                    [
                        "phoneNumber": .string(orNull: account.phoneNumber), "name": .string(orNull: account.name),
                        "connectedAt": .string(orNull: connectedAt),
                    ]
                ))
        }
        if let server { data.append(("server", .string(server))) }
        if let qrCode { data.append(("qrcode", .string(qrCode))) }
        let event: JSONValue = ["type": .string(type), "timestamp": .string(createdAt), "data": .object(data)]
        return event.serialized()
    }
}
