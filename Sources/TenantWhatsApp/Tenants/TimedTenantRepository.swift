import HTTPServer
import Postgres
import Runtime

/// The tenant repository as one request calls it: each call timed on the request's log line (`db.find`,
/// `db.attachInstance`, …) and its failure answered 503 `database_unavailable`.
///
/// Built per request (a struct holding the repository and the request's context, cheap to make). It has the methods
/// of ``TenantRepository`` but does not conform: its calls throw the envelope (``APIError``), not `PostgresError`,
/// so that a handler calls it like any step of its flow. The timing and the mapping are
/// ``HTTPServer/RequestContext/database(_:_:)``'s, the one place a database call becomes HTTP.
struct TimedTenantRepository {
    /// The repository itself, untimed.
    let base: any TenantRepository
    /// The request whose log line gets the calls.
    let context: RequestContext
    /// The tenant's lease this request holds, if any: every call first checks that it still does.
    let lease: LeaseKeeper?

    /// `base` as the request of `context` calls it, holding `lease` (see ``LeaseKeeper/ensureHeld(_:)``).
    init(_ base: any TenantRepository, context: RequestContext, lease: LeaseKeeper? = nil) {
        self.base = base
        self.context = context
        self.lease = lease
    }

    /// See ``TenantRepository/find(_:)``.
    func find(_ tenant: TenantID) throws(APIError) -> TenantRecord? {
        try database("find") { () throws(PostgresError) in try base.find(tenant) }
    }

    /// See ``TenantRepository/place(_:)``.
    func place(_ tenant: TenantID) throws(APIError) -> EvolutionServerID? {
        try database("place") { () throws(PostgresError) in try base.place(tenant) }
    }

    /// See ``TenantRepository/releasePlacement(of:on:)``.
    @discardableResult
    func releasePlacement(of tenant: TenantID, on server: EvolutionServerID) throws(APIError) -> Bool {
        try database("releasePlacement") { () throws(PostgresError) in
            try base.releasePlacement(of: tenant, on: server)
        }
    }

    /// See ``TenantRepository/attachInstance(_:on:status:to:)``.
    func attachInstance(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, to tenant: TenantID
    ) throws(APIError) -> String {
        try database("attachInstance") { () throws(PostgresError) in
            try base.attachInstance(name, on: server, status: status, to: tenant)
        }
    }

    /// See ``TenantRepository/recordState(_:of:for:generation:detail:changeAudit:)``.
    func recordState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, generation: String?,
        detail: ConnectionDetail = .none, changeAudit: AuditEntry
    ) throws(APIError) -> RecordedState? {
        try database("recordState") { () throws(PostgresError) in
            try base.recordState(
                status, of: name, for: tenant, generation: generation, detail: detail, changeAudit: changeAudit)
        }
    }

    /// See ``TenantRepository/detachInstance(_:from:generation:deleteLaterOn:)``.
    @discardableResult
    func detachInstance(
        _ name: String, from tenant: TenantID, generation: String? = nil,
        deleteLaterOn server: EvolutionServerID? = nil,
        reason: DisconnectionReason? = nil
    ) throws(APIError) -> Bool {
        try database("detachInstance") { () throws(PostgresError) in
            try base.detachInstance(name, from: tenant, generation: generation, deleteLaterOn: server, reason: reason)
        }
    }

    /// See ``TenantRepository/recordPushedState(_:of:for:at:clearQRCode:detail:changeAudit:)``.
    func recordPushedState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, at eventTime: Timestamp,
        clearQRCode: Bool, detail: ConnectionDetail = .none, changeAudit: AuditEntry
    ) throws(APIError) -> RecordedState? {
        try database("recordPushedState") { () throws(PostgresError) in
            try base.recordPushedState(
                status, of: name, for: tenant, at: eventTime, clearQRCode: clearQRCode, detail: detail,
                changeAudit: changeAudit)
        }
    }

    /// See ``TenantRepository/recordDisconnectRequested(of:for:generation:)``.
    func recordDisconnectRequested(of name: String, for tenant: TenantID, generation: String?) throws(APIError) {
        try database("recordDisconnectRequested") { () throws(PostgresError) in
            try base.recordDisconnectRequested(of: name, for: tenant, generation: generation)
        }
    }

    /// See ``TenantRepository/withdrawDisconnectRequest(of:for:)``.
    func withdrawDisconnectRequest(of name: String, for tenant: TenantID) throws(APIError) {
        try database("withdrawDisconnectRequest") { () throws(PostgresError) in
            try base.withdrawDisconnectRequest(of: name, for: tenant)
        }
    }

    /// See ``TenantRepository/clearConnectionDetails(of:for:)``.
    @discardableResult
    func clearConnectionDetails(of name: String, for tenant: TenantID) throws(APIError) -> Bool {
        try database("clearConnectionDetails") { () throws(PostgresError) in
            try base.clearConnectionDetails(of: name, for: tenant)
        }
    }

    /// See ``TenantRepository/storePushedQRCode(_:of:for:at:)``.
    func storePushedQRCode(
        _ dataURL: String, of name: String, for tenant: TenantID, at eventTime: Timestamp
    ) throws(APIError) -> Bool {
        try database("storePushedQRCode") { () throws(PostgresError) in
            try base.storePushedQRCode(dataURL, of: name, for: tenant, at: eventTime)
        }
    }

    /// See ``TenantRepository/detachRemovedInstance(_:from:at:)``.
    func detachRemovedInstance(_ name: String, from tenant: TenantID, at eventTime: Timestamp) throws(APIError) -> Bool
    {
        try database("detachRemovedInstance") { () throws(PostgresError) in
            try base.detachRemovedInstance(name, from: tenant, at: eventTime)
        }
    }

    /// See ``TenantRepository/pushedQRCode(of:for:maximumAge:)``; always younger than
    /// ``FlowSettings/pushedQRMaximumAge`` here, the only age the flows ask for.
    func pushedQRCode(of name: String, for tenant: TenantID) throws(APIError) -> EvolutionQRCode? {
        try database("pushedQRCode") { () throws(PostgresError) in
            try base.pushedQRCode(of: name, for: tenant, maximumAge: FlowSettings.pushedQRMaximumAge)
        }
    }

    /// One call named `name`, made only while the request still holds its lease (when it holds one): a request that
    /// lost it stops before the statement.
    private func database<Success>(
        _ name: String, _ call: () throws(PostgresError) -> Success
    ) throws(APIError) -> Success {
        try lease?.ensureHeld(context)
        return try context.database(name, call)
    }
}
