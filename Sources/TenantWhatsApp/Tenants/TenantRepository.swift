import Postgres
import Runtime

/// The `tenants` rows as the WhatsApp flows read and write them: one short statement per call, never held
/// across an upstream call.
///
/// Every write is conditional on the instance name it expects, so a request that lost a race (another process
/// detached or replaced the instance meanwhile) changes nothing instead of overwriting newer state.
protocol TenantRepository: Sendable {
    /// The tenant's row, or nil when the SaaS has no such tenant.
    func find(_ tenant: TenantID) throws(PostgresError) -> TenantRecord?

    /// Places the tenant on the active Evolution server with room that is least loaded, and returns it; nil when no
    /// server has room. A tenant already placed keeps its place. Capacity is counted in PostgreSQL, so that every
    /// process on every host places against the same counts.
    func place(_ tenant: TenantID) throws(PostgresError) -> EvolutionServerID?

    /// Gives back the tenant's place on `server` while no instance is stored there (a create that failed); false
    /// when there was no such place.
    @discardableResult
    func releasePlacement(of tenant: TenantID, on server: EvolutionServerID) throws(PostgresError) -> Bool

    /// Stores `name` as the tenant's instance on `server` in state `status`; returns its creation time (ISO 8601).
    ///
    /// Throws when the row is gone or the write fails: the caller then owns an upstream instance nobody records,
    /// and must compensate.
    func attachInstance(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, to tenant: TenantID
    ) throws(PostgresError) -> String

    /// Records the state just observed for the tenant's instance `name`, and appends `changeAudit` in the same
    /// statement when it differs from the recorded state; nil when the tenant no longer has the instance, or (with a
    /// `generation`) no longer the one of that generation: the instance was replaced meanwhile.
    ///
    /// `detail` is what the check learned beyond the state, written in the same statement as for a pushed event: the
    /// account of an `open` (`fetchInstances`), or `connection_lost` for a `close` that lasted (never replacing a
    /// reason recorded for this drop; the audit row then reads `close:connection_lost`, also without a change of
    /// state).
    func recordState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, generation: String?,
        detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState?

    /// Forgets the tenant's instance `name` (of `generation`, when given) and its place; false when the tenant no
    /// longer had it. With `deleteLaterOn`, the instance is remembered in the same statement for `reconcile` to delete
    /// on that server once it answers again (a disconnect while the server is disabled).
    /// With a `reason`, it is recorded as the last disconnection (our disconnect route: `user`), also when the tenant
    /// has no instance any more (Evolution's `remove.instance` of the instance the caller just deleted was applied
    /// first); without one, the last disconnection stays as it was.
    func detachInstance(
        _ name: String, from tenant: TenantID, generation: String?, deleteLaterOn server: EvolutionServerID?,
        reason: DisconnectionReason?
    ) throws(PostgresError) -> Bool

    /// Records a state Evolution pushed for the tenant's instance `name`, an event that happened at `eventTime` (UTC,
    /// its `date_time` converted with its server's offset), clearing the pushed QR code when the state is `open` or
    /// `clearQRCode`, and appending `changeAudit` in the same statement when the state changed; nil when the event
    /// does not apply (``PushedEventRules``): the tenant no longer has that instance, the event is older than the
    /// instance, or a later event was applied already (a late or repeated delivery changes nothing).
    ///
    /// `detail` is written in the same statement: an `open` stores its account and clears the last disconnection; a
    /// drop's reason and code are recorded, replacing one recorded for this drop only when
    /// ``ConnectionDetail/replacesRecordedReason``. The audit row then reads `close:{reason}`, with Evolution's
    /// code as its `error_code`, and is appended also when only the reason or code changed.
    func recordPushedState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, at eventTime: Timestamp,
        clearQRCode: Bool, detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState?

    /// Stores a QR code (PNG data URL) Evolution pushed at `eventTime` for the tenant's instance `name`; false when it
    /// does not apply (another instance, already open, or under ``PushedEventRules``).
    func storePushedQRCode(
        _ dataURL: String, of name: String, for tenant: TenantID, at eventTime: Timestamp
    ) throws(PostgresError) -> Bool

    /// Forgets the tenant's instance `name` that Evolution reports removed at `eventTime` (`remove.instance`), and its
    /// place, recording `removed` as the last disconnection unless a reason was recorded for this drop; false when it does not apply (``PushedEventRules``): another instance, or a removal older than the
    /// instance stored now (a late or replayed removal of an earlier instance of the same name).
    func detachRemovedInstance(
        _ name: String, from tenant: TenantID, at eventTime: Timestamp
    ) throws(PostgresError) -> Bool

    /// Forgets the account and the last disconnection recorded for the tenant's instance `name`, which a connect
    /// reuses; false when the tenant no longer has that instance or nothing was recorded.
    func clearConnectionDetails(of name: String, for tenant: TenantID) throws(PostgresError) -> Bool

    /// Records `user` as the reason of the drop our disconnect route is about to cause, while the tenant's instance
    /// `name` (of `generation`, when given) is still live (`open` or `connecting`), the state unchanged: the logout,
    /// close and removal Evolution pushes meanwhile are then recorded as ours, not as a logout from the phone
    /// (docs/webhooks.md, "Account and disconnection"). Kept against pushed reasons for
    /// ``PostgresTenantRepository/requestedDisconnectWindow``.
    func recordDisconnectRequested(of name: String, for tenant: TenantID, generation: String?) throws(PostgresError)

    /// Withdraws ``recordDisconnectRequested(of:for:generation:)`` after a disconnect that failed while the instance
    /// is still live.
    func withdrawDisconnectRequest(of name: String, for tenant: TenantID) throws(PostgresError)

    /// The QR code pushed for the tenant's instance `name` within `maximumAge`, unless it is open; nil otherwise.
    func pushedQRCode(
        of name: String, for tenant: TenantID, maximumAge: Duration
    ) throws(PostgresError) -> EvolutionQRCode?
}

extension TenantRepository {
    /// ``recordState(_:of:for:generation:detail:changeAudit:)`` of a state alone.
    func recordState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, generation: String?,
        changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        try recordState(status, of: name, for: tenant, generation: generation, detail: .none, changeAudit: changeAudit)
    }

    /// ``detachInstance(_:from:generation:deleteLaterOn:reason:)`` keeping the last disconnection as it was.
    func detachInstance(
        _ name: String, from tenant: TenantID, generation: String?, deleteLaterOn server: EvolutionServerID?
    ) throws(PostgresError) -> Bool {
        try detachInstance(name, from: tenant, generation: generation, deleteLaterOn: server, reason: nil)
    }

    /// ``recordPushedState(_:of:for:at:clearQRCode:detail:changeAudit:)`` of a state alone.
    func recordPushedState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, at eventTime: Timestamp,
        clearQRCode: Bool, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        try recordPushedState(
            status, of: name, for: tenant, at: eventTime, clearQRCode: clearQRCode, detail: .none,
            changeAudit: changeAudit)
    }

    /// ``detachInstance(_:from:generation:deleteLaterOn:)`` for whichever instance of that name is stored.
    func detachInstance(_ name: String, from tenant: TenantID) throws(PostgresError) -> Bool {
        try detachInstance(name, from: tenant, generation: nil, deleteLaterOn: nil)
    }

    /// ``detachInstance(_:from:generation:deleteLaterOn:)`` of the instance of `generation`, deleted upstream already.
    func detachInstance(_ name: String, from tenant: TenantID, generation: String?) throws(PostgresError) -> Bool {
        try detachInstance(name, from: tenant, generation: generation, deleteLaterOn: nil)
    }
}

/// What ``TenantRepository/recordState(_:of:for:generation:detail:changeAudit:)`` found and wrote.
struct RecordedState: Sendable, Equatable {
    /// The state recorded before this observation (nil: none yet).
    let previous: EvolutionConnectionState?
    /// When the state was checked, ISO 8601.
    let checkedAt: String
    /// The account and the last disconnection as the statement left them.
    var details: StatusDetails = .none
}
