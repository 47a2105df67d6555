import HTTPServer
import Logging
import Postgres

/// ``AuditRecorder`` on `whatsapp_audit`: every connect, disconnect and observed state change.
///
/// A row that cannot be written is logged in full instead, so nothing is lost for an operator.
struct PostgresAuditTrail: AuditRecorder {
    let pool: PostgresPool
    let logger: Logger
    /// Whether a code event carries the QR code image (`EVENTS_WEBHOOK_QRCODE=image`).
    var sendsQRCodeImage = false

    /// The start of every statement that appends audit rows (here, and with a change of state in one statement).
    static let insertInto =
        "INSERT INTO whatsapp_audit (tenant_id, action, outcome, error_code, instance_name, request_id, duration_ms)"

    func record(_ entry: AuditEntry) {
        do {
            try write(
                entry,
                sql: """
                    \(Self.insertInto)
                    VALUES ($1, $2, $3, $4, $5, $6, $7::integer)
                    """, extra: [])
        } catch {
            logInFull(entry, error: error)
        }
    }

    func record(_ entry: AuditEntry, announcing event: ConnectionEventType, qrCodeImage: String?) {
        // The event carries the tenant's row as it is now (sql/migrations/0013_event_outbox.sql writes nothing in a
        // session without `tenant_whatsapp.events`). The row is locked first, as every change of it is: the tenant's
        // events then get their ids in the order their transactions commit, which is the order they are delivered in.
        do {
            try write(
                entry,
                sql: """
                    WITH audit AS (
                        \(Self.insertInto)
                        VALUES ($1, $2, $3, $4, $5, $6, $7::integer)
                    ), locked AS (
                        SELECT t FROM tenants t WHERE t.id = $1 FOR NO KEY UPDATE
                    )
                    SELECT whatsapp_append_event($8, locked.t, $9) FROM locked
                    """, extra: [event.rawValue, sendsQRCodeImage && event == .qrCode ? qrCodeImage : nil])
        } catch {
            // The row stayed locked past the lock timeout, say: the audit row is written alone, the event is lost
            // (it says only that a code was handed out; the state events are written with the state).
            logger.warning(
                "connection event not written",
                metadata: [
                    "error": .string(error.description), "tenantId": .string(entry.tenant.rawValue),
                    "type": .string(event.rawValue), "requestId": .string(entry.requestID),
                ])
            record(entry)
        }
    }

    private func write(_ entry: AuditEntry, sql: String, extra: [String?]) throws(PostgresError) {
        try pool.query(
            sql,
            [
                entry.tenant.rawValue, entry.action.rawValue, entry.outcome, entry.errorCode?.rawValue,
                entry.instanceName, entry.requestID, String(entry.durationMilliseconds),
            ] + extra)
    }

    /// Logs a row that could not be stored in full, so nothing is lost for an operator.
    private func logInFull(_ entry: AuditEntry, error: PostgresError) {
        logger.error(
            "audit row not written",
            metadata: [
                "error": .string(error.description), "tenantId": .string(entry.tenant.rawValue),
                "action": .string(entry.action.rawValue), "outcome": .string(entry.outcome),
                "errorCode": .string(entry.errorCode?.rawValue ?? ""), "requestId": .string(entry.requestID),
                "instanceName": .string(entry.instanceName ?? ""),
            ])
    }
}
