import Postgres
import Runtime

@testable import TenantWhatsApp

/// The `tenants` rows in a dictionary behind a lock, with the conditional writes of the real repository (a write
/// that names an instance the tenant no longer has changes nothing), and failures scripted per method.
final class FakeTenantRepository: TenantRepository {
    /// What a tenant row holds about its instance.
    struct Row: Sendable, Equatable {
        var instanceName: String?
        var status: EvolutionConnectionState?
        var createdAt: String?
        var checkedAt: String?
        /// How old `checkedAt` is, as PostgreSQL would compute it (nil: never checked).
        var checkedAgeMilliseconds: Int? = nil
        /// How long the state has been `close`, as PostgreSQL would compute it (nil unless `close`; a recorded change
        /// to `close` makes it 0, any other state nil).
        var closedAgeMilliseconds: Int? = nil
        /// The QR code Evolution pushed, still young enough to show.
        var qrCode: String? = nil
        /// The instant of the last pushed event applied.
        var eventTime: Timestamp? = nil
        /// The stored instance's generation (nil in rows seeded without one).
        var generation: String? = nil
        /// The server the tenant is placed on (nil in rows seeded without one: `default` for an instance).
        var server: EvolutionServerID? = nil
        /// Whether the instance was ever seen `open` (reconcile).
        var everOpened = false
        /// How long ago the instance was created, in milliseconds (reconcile; nil: unknown).
        var instanceAgeMilliseconds: Int? = nil
        /// The account an `open` event reported.
        var account: ConnectedAccount? = nil
        /// When the instance last opened (nil unless open).
        var connectedAt: String? = nil
        /// The last disconnection recorded.
        var lastDisconnection: Disconnection? = nil

        /// A tenant without an instance.
        static let empty = Row()

        /// A tenant whose instance `name` was last seen in `status`.
        static func instance(_ name: String, _ status: EvolutionConnectionState) -> Row {
            Row(instanceName: name, status: status, createdAt: FakeTenantRepository.seededAt, checkedAt: nil)
        }
    }

    /// The repository's methods, as recorded and as failures are scripted.
    enum Method: Sendable, Equatable {
        case find, attachInstance, recordState, detachInstance, recordPushedState, storePushedQRCode, pushedQRCode
        case place, releasePlacement, adopt, detachRemovedInstance, clearConnectionDetails
        case recordDisconnectRequested, withdrawDisconnectRequest
    }

    /// When seeded instances were created.
    static let seededAt = "2025-08-01T09:00:00.000Z"
    /// What `attachInstance` answers as the creation time.
    static let attachedAt = "2025-08-27T14:03:11.532Z"
    /// What `recordState` answers as the check time.
    static let checkedAt = "2025-08-27T14:05:00.000Z"
    /// When the fake records an open or a disconnection.
    static let changedAt = "2025-08-27T14:06:00.000Z"

    private struct State {
        var rows: [TenantID: Row] = [:]
        /// Capacity per server for ``place(_:)``; empty: every tenant goes to `default`, without limit.
        var capacities: [(server: EvolutionServerID, capacity: Int)] = []
        /// Instances remembered for deletion on a disabled server.
        var pendingDeletions: [PendingDeletion] = []
        var failures: [(method: Method, error: PostgresError)] = []
        var actions: [(method: Method, action: @Sendable (inout [TenantID: Row]) -> Void)] = []
        var calls: [Method] = []
        var databaseNow: @Sendable () -> Timestamp = { Timestamp.now() }
    }

    private let state = ConditionLock(State())
    /// Where `recordState` and `recordPushedState` append their change audit rows, as the real repository does in the same statement.
    private let audit: FakeAuditRecorder?

    /// Rows that append the audit rows of recorded state changes to `audit` (nil: dropped).
    init(audit: FakeAuditRecorder? = nil) {
        self.audit = audit
    }

    /// Stores `row` for `tenant` (a tenant of the SaaS from now on).
    func seed(_ tenant: TenantID, _ row: Row) {
        state.withLock { $0.rows[tenant] = row }
    }

    /// The row of `tenant` now, nil when there is no such tenant.
    func row(of tenant: TenantID) -> Row? {
        state.withLock { $0.rows[tenant] }
    }

    /// Places tenants on these servers, least loaded first (placed ÷ capacity, ties by id), as the SQL does.
    func setCapacities(_ capacities: [(EvolutionServerID, Int)]) {
        state.withLock { $0.capacities = capacities.map { (server: $0.0, capacity: $0.1) } }
    }

    /// The instances remembered for deletion, as `server/name`.
    var pendingDeletionNames: [String] {
        state.withLock { $0.pendingDeletions.map { "\($0.server)/\($0.instanceName)" } }
    }

    /// Remembers `name` for deletion on `server`, as a disconnect on a disabled server does.
    func seedPendingDeletion(_ name: String, on server: EvolutionServerID, tenant: TenantID) {
        state.withLock {
            $0.pendingDeletions.append(PendingDeletion(server: server, instanceName: name, tenant: tenant))
        }
    }

    /// Every call made, in order.
    var calls: [Method] {
        state.withLock { $0.calls }
    }

    /// Makes the next call of `method` throw `error` (scripted failures are used in order).
    func failNext(_ method: Method, with error: PostgresError) {
        state.withLock { $0.failures.append((method, error)) }
    }

    /// Runs `action` on the rows just before the next call of `method`: another request's write that wins a race.
    func beforeNext(_ method: Method, _ action: @escaping @Sendable (inout [TenantID: Row]) -> Void) {
        state.withLock { $0.actions.append((method, action)) }
    }

    func find(_ tenant: TenantID) throws(PostgresError) -> TenantRecord? {
        let row = try call(.find) { rows in rows[tenant] }
        return row.map {
            TenantRecord(
                id: tenant, instanceName: $0.instanceName, status: $0.status, instanceCreatedAt: $0.createdAt,
                checkedAt: $0.checkedAt, checkedAgeMilliseconds: $0.checkedAgeMilliseconds,
                closedAgeMilliseconds: $0.closedAgeMilliseconds, generation: $0.generation, server: $0.server,
                details: StatusDetails(
                    account: $0.account, connectedAt: $0.connectedAt, lastDisconnection: $0.lastDisconnection))
        }
    }

    func place(_ tenant: TenantID) throws(PostgresError) -> EvolutionServerID? {
        let capacities = state.withLock { $0.capacities }
        return try call(.place) { rows -> EvolutionServerID? in
            guard let row = rows[tenant] else { return nil }
            if let placed = row.server { return placed }
            var chosen: EvolutionServerID? = .implicitDefault
            if !capacities.isEmpty {
                let loads = capacities.map { entry in
                    (entry.server, rows.values.filter { $0.server == entry.server }.count, entry.capacity)
                }
                chosen =
                    loads.filter { $0.1 < $0.2 }.min { lhs, rhs in
                        let left = Double(lhs.1) / Double(lhs.2)
                        let right = Double(rhs.1) / Double(rhs.2)
                        return left != right ? left < right : lhs.0 < rhs.0
                    }?.0
            }
            rows[tenant]?.server = chosen
            return chosen
        }
    }

    func releasePlacement(of tenant: TenantID, on server: EvolutionServerID) throws(PostgresError) -> Bool {
        try call(.releasePlacement) { rows -> Bool in
            guard let row = rows[tenant], row.server == server, row.instanceName == nil else { return false }
            rows[tenant]?.server = nil
            return true
        }
    }

    func attachInstance(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, to tenant: TenantID
    ) throws(PostgresError) -> String {
        let attached = try call(.attachInstance) { rows -> Bool in
            guard rows[tenant] != nil else { return false }
            rows[tenant] = Row(
                instanceName: name, status: status, createdAt: Self.attachedAt, checkedAt: Self.attachedAt,
                generation: "generation-\(name)", server: server)
            return true
        }
        guard attached else { throw PostgresError(kind: .queryFailed, message: "the tenant row disappeared") }
        return Self.attachedAt
    }

    func recordState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, generation: String?,
        detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        let outcome = try call(.recordState) { rows -> (RecordedState, AuditEntry?)? in
            guard var row = rows[tenant], row.instanceName == name, generation == nil || row.generation == generation
            else { return nil }
            let audit = Self.applyWithAudit(detail, status: status, to: &row, changeAudit: changeAudit)
            let previous = row.status
            row.status = status
            row.checkedAt = Self.checkedAt
            if status == .open { row.qrCode = nil }
            rows[tenant] = row
            return (RecordedState(previous: previous, checkedAt: Self.checkedAt, details: Self.details(of: row)), audit)
        }
        if let entry = outcome?.1 { audit?.record(entry) }
        return outcome?.0
    }

    /// The account and last disconnection of `row`, as status shows them.
    private static func details(of row: Row) -> StatusDetails {
        StatusDetails(account: row.account, connectedAt: row.connectedAt, lastDisconnection: row.lastDisconnection)
    }

    /// ``apply(_:status:to:)``, and the audit row the statement appends: when the state changed, or a reason was
    /// given and the recorded reason or code changed (`close:{reason}`).
    private static func applyWithAudit(
        _ detail: ConnectionDetail, status: EvolutionConnectionState, to row: inout Row, changeAudit: AuditEntry
    ) -> AuditEntry? {
        let before = row.lastDisconnection
        Self.apply(detail, status: status, to: &row)
        let after = row.lastDisconnection
        let reasonChanged = detail.reason != nil && (before?.reason != after?.reason || before?.code != after?.code)
        guard row.status != status || reasonChanged else { return nil }
        let reason = detail.reason == nil ? nil : after?.reason
        return AuditEntry(
            tenant: changeAudit.tenant, action: changeAudit.action,
            outcome: status.rawValue + (reason.map { ":" + $0.rawValue } ?? ""), errorCode: nil,
            instanceName: changeAudit.instanceName, requestID: changeAudit.requestID, duration: changeAudit.duration)
    }

    /// PostgreSQL's clock as the pushed writes read it (``PushedEventRules``): the real one unless a test sets it.
    var databaseNow: @Sendable () -> Timestamp {
        get { state.withLock { $0.databaseNow } }
        set { state.withLock { $0.databaseNow = newValue } }
    }

    func recordPushedState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, at eventTime: Timestamp,
        clearQRCode: Bool, detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        let now = databaseNow()
        let outcome = try call(.recordPushedState) { rows -> (RecordedState, AuditEntry?)? in
            guard var row = rows[tenant], row.instanceName == name, Self.applies(eventTime, to: row, now: now) else {
                return nil
            }
            let audit = Self.applyWithAudit(detail, status: status, to: &row, changeAudit: changeAudit)
            let previous = row.status
            row.status = status
            row.checkedAt = Self.checkedAt
            row.checkedAgeMilliseconds = 0
            row.eventTime = eventTime
            if status == .open || clearQRCode { row.qrCode = nil }
            rows[tenant] = row
            return (RecordedState(previous: previous, checkedAt: Self.checkedAt, details: Self.details(of: row)), audit)
        }
        if let entry = outcome?.1 { audit?.record(entry) }
        return outcome?.0
    }

    /// What the record statement writes of an account and a disconnection (PostgresTenantRepository): an `open`
    /// stores the account it carries and clears the last disconnection; a reason is recorded when none is, or
    /// replaces it when the detail says so.
    private static func apply(_ detail: ConnectionDetail, status: EvolutionConnectionState, to row: inout Row) {
        if status != .close {
            row.closedAgeMilliseconds = nil
        } else if row.status != .close {
            row.closedAgeMilliseconds = 0
        }
        if status == .open {
            if row.status != .open { row.connectedAt = changedAt }
            if let account = detail.account { row.account = account }
            row.lastDisconnection = nil
            return
        }
        row.connectedAt = nil
        guard let reason = detail.reason else { return }
        if detail.replacesRecordedReason || row.lastDisconnection == nil {
            row.lastDisconnection = Disconnection(
                reason: reason, code: detail.code, at: row.lastDisconnection?.at ?? changedAt)
        }
    }

    func storePushedQRCode(
        _ dataURL: String, of name: String, for tenant: TenantID, at eventTime: Timestamp
    ) throws(PostgresError) -> Bool {
        let now = databaseNow()
        return try call(.storePushedQRCode) { rows -> Bool in
            guard var row = rows[tenant], row.instanceName == name, row.status != .open,
                Self.applies(eventTime, to: row, now: now)
            else { return false }
            row.qrCode = dataURL
            row.eventTime = eventTime
            rows[tenant] = row
            return true
        }
    }

    func detachRemovedInstance(
        _ name: String, from tenant: TenantID, at eventTime: Timestamp
    ) throws(PostgresError) -> Bool {
        let now = databaseNow()
        return try call(.detachRemovedInstance) { rows -> Bool in
            guard let row = rows[tenant], row.instanceName == name, Self.applies(eventTime, to: row, now: now) else {
                return false
            }
            rows[tenant] = Row(
                instanceName: nil, status: nil, createdAt: nil, checkedAt: row.checkedAt,
                lastDisconnection: row.lastDisconnection
                    ?? Disconnection(reason: .removed, code: nil, at: Self.changedAt))
            return true
        }
    }

    /// ``PushedEventRules`` on a row: the stored creation time is ISO 8601, as PostgreSQL writes it.
    private static func applies(_ eventTime: Timestamp, to row: Row, now: Timestamp) -> Bool {
        PushedEventRules.applies(
            eventTime: eventTime, createdAt: row.createdAt.flatMap { Timestamp(iso8601: $0) },
            lastEventTime: row.eventTime, now: now)
    }

    func recordDisconnectRequested(
        of name: String, for tenant: TenantID, generation: String?
    ) throws(PostgresError) {
        try call(.recordDisconnectRequested) { rows in
            guard var row = rows[tenant], row.instanceName == name, generation == nil || row.generation == generation,
                row.status == .open || row.status == .connecting
            else { return }
            row.lastDisconnection = Disconnection(reason: .user, code: nil, at: Self.changedAt)
            rows[tenant] = row
        }
    }

    func withdrawDisconnectRequest(of name: String, for tenant: TenantID) throws(PostgresError) {
        try call(.withdrawDisconnectRequest) { rows in
            guard var row = rows[tenant], row.instanceName == name, row.lastDisconnection?.reason == .user,
                row.status == .open || row.status == .connecting
            else { return }
            row.lastDisconnection = nil
            rows[tenant] = row
        }
    }

    func clearConnectionDetails(of name: String, for tenant: TenantID) throws(PostgresError) -> Bool {
        try call(.clearConnectionDetails) { rows -> Bool in
            guard var row = rows[tenant], row.instanceName == name,
                row.account != nil || row.lastDisconnection != nil
            else { return false }
            row.account = nil
            row.lastDisconnection = nil
            rows[tenant] = row
            return true
        }
    }

    func pushedQRCode(
        of name: String, for tenant: TenantID, maximumAge: Duration
    ) throws(PostgresError) -> EvolutionQRCode? {
        try call(.pushedQRCode) { rows -> EvolutionQRCode? in
            guard let row = rows[tenant], row.instanceName == name, row.status != .open, let qr = row.qrCode else {
                return nil
            }
            return EvolutionQRCode(pngDataURL: qr, code: nil, pairingCode: nil, count: 0)
        }
    }

    func detachInstance(
        _ name: String, from tenant: TenantID, generation: String?, deleteLaterOn server: EvolutionServerID?,
        reason: DisconnectionReason?
    ) throws(PostgresError) -> Bool {
        let detached = try call(.detachInstance) { rows -> Bool in
            if let reason, let row = rows[tenant], row.instanceName == nil {
                rows[tenant]?.lastDisconnection = Disconnection(reason: reason, code: nil, at: Self.changedAt)
                return false
            }
            guard let row = rows[tenant], row.instanceName == name, generation == nil || row.generation == generation
            else { return false }
            rows[tenant] = Row(
                instanceName: nil, status: nil, createdAt: nil, checkedAt: row.checkedAt,
                lastDisconnection: reason.map { Disconnection(reason: $0, code: nil, at: Self.changedAt) }
                    ?? row.lastDisconnection)
            return true
        }
        if detached, let server {
            state.withLock {
                $0.pendingDeletions.append(PendingDeletion(server: server, instanceName: name, tenant: tenant))
            }
        }
        return detached
    }

    /// Records the call, runs its scripted action, throws its scripted failure, else runs `body` on the rows.
    private func call<Result>(
        _ method: Method, _ body: (inout [TenantID: Row]) -> Result
    ) throws(PostgresError) -> Result {
        let outcome: Swift.Result<Result, PostgresError> = state.withLock { state in
            state.calls.append(method)
            if let index = state.actions.firstIndex(where: { $0.method == method }) {
                state.actions.remove(at: index).action(&state.rows)
            }
            if let index = state.failures.firstIndex(where: { $0.method == method }) {
                return .failure(state.failures.remove(at: index).error)
            }
            return .success(body(&state.rows))
        }
        return try outcome.get()
    }
}

extension FakeTenantRepository: ReconcileStore {
    func all() throws(PostgresError) -> [TenantID: ReconcileRow] {
        state.withLock { state in
            state.rows.reduce(into: [:]) { result, entry in
                result[entry.key] = Self.reconcileRow(entry.key, entry.value)
            }
        }
    }

    func row(_ tenant: TenantID) throws(PostgresError) -> ReconcileRow? {
        state.withLock { state in state.rows[tenant].map { Self.reconcileRow(tenant, $0) } }
    }

    func adopt(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, for tenant: TenantID
    ) throws(PostgresError) -> Bool {
        try call(.adopt) { rows -> Bool in
            guard let row = rows[tenant], row.instanceName == nil else { return false }
            rows[tenant] = Row(
                instanceName: name, status: status, createdAt: Self.attachedAt, checkedAt: Self.attachedAt,
                server: server, everOpened: status == .open, instanceAgeMilliseconds: 0)
            return true
        }
    }

    func pendingDeletions() throws(PostgresError) -> [PendingDeletion] {
        state.withLock { $0.pendingDeletions }
    }

    func forget(_ deletion: PendingDeletion) throws(PostgresError) {
        state.withLock { $0.pendingDeletions.removeAll { $0 == deletion } }
    }

    private static func reconcileRow(_ tenant: TenantID, _ row: Row) -> ReconcileRow {
        ReconcileRow(
            tenant: tenant, instanceName: row.instanceName, everOpened: row.everOpened,
            instanceAge: row.instanceAgeMilliseconds.map { .milliseconds($0) },
            server: row.server ?? (row.instanceName == nil ? nil : .implicitDefault))
    }
}
