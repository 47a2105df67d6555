/// Where the flows append their audit rows.
///
/// Recording never fails a request: the action it describes has already happened upstream.
protocol AuditRecorder: Sendable {
    /// Appends `entry` (or, when it cannot be stored, logs it in full).
    func record(_ entry: AuditEntry)

    /// Appends `entry` and, in the same statement, the tenant's `event` to the outbox of events to the SaaS backend
    /// (docs/event-webhooks.md; written only when `EVENTS_WEBHOOK_URL` is set): a connect that handed out a code,
    /// with its QR code image (sent only with `EVENTS_WEBHOOK_QRCODE=image`).
    func record(_ entry: AuditEntry, announcing event: ConnectionEventType, qrCodeImage: String?)
}

extension AuditRecorder {
    /// Recorders without an outbox record the entry alone.
    func record(_ entry: AuditEntry, announcing event: ConnectionEventType, qrCodeImage: String?) {
        record(entry)
    }
}
