/// Where the flows append their audit rows.
///
/// Recording never fails a request: the action it describes has already happened upstream.
protocol AuditRecorder: Sendable {
    /// Appends `entry` (or, when it cannot be stored, logs it in full).
    func record(_ entry: AuditEntry)
}
