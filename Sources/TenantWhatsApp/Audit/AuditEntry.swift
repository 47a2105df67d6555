/// One line of the append-only `whatsapp_audit` table.
struct AuditEntry: Sendable {
    /// What was attempted or observed.
    enum Action: String, Sendable {
        case connect
        case disconnect
        case stateChange = "state_change"
        /// What `tenant-whatsapp reconcile` changed.
        case reconcile
        /// A webhook delivery that was refused or ignored for a reason worth keeping (signed by another server).
        case webhook
    }

    let tenant: TenantID
    let action: Action
    /// What happened: `created`, `reused`, `adopted`, `qr_pending`, `already_connected`, `disconnected`,
    /// `already_gone`, a state (`open`, `close`, `connecting`, `instance_gone`), or `failed`.
    let outcome: String
    /// The envelope code when the action failed.
    let errorCode: ErrorCode?
    let instanceName: String?
    let requestID: String
    let duration: Duration

    /// The duration in whole milliseconds, as `duration_ms` stores it (never negative).
    var durationMilliseconds: Int {
        max(0, Int((duration / .milliseconds(1)).rounded()))
    }
}
