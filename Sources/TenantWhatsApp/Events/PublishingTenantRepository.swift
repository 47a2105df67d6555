import Postgres
import Runtime

/// A ``TenantRepository`` that queues a publish of the tenant's state after every write that changed what the event
/// stream shows (docs/events.md). Each write is one statement, committed when it returns, so nothing is announced
/// before it is durable, and a write that changed nothing announces nothing.
struct PublishingTenantRepository: TenantRepository {
    let base: any TenantRepository
    let publisher: any TenantStatePublisher

    func find(_ tenant: TenantID) throws(PostgresError) -> TenantRecord? {
        try base.find(tenant)
    }

    func place(_ tenant: TenantID) throws(PostgresError) -> EvolutionServerID? {
        try base.place(tenant)
    }

    func releasePlacement(of tenant: TenantID, on server: EvolutionServerID) throws(PostgresError) -> Bool {
        try base.releasePlacement(of: tenant, on: server)
    }

    func attachInstance(
        _ name: String, on server: EvolutionServerID, status: EvolutionConnectionState, to tenant: TenantID
    ) throws(PostgresError) -> String {
        let createdAt = try base.attachInstance(name, on: server, status: status, to: tenant)
        publisher.publish(tenant, qrCode: nil)
        return createdAt
    }

    func recordState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, generation: String?,
        detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        let recorded = try base.recordState(
            status, of: name, for: tenant, generation: generation, detail: detail, changeAudit: changeAudit)
        // A learned account or a reason can change what status shows without a change of state.
        if let recorded, recorded.previous != status || detail != .none {
            publisher.publish(tenant, qrCode: nil)
        }
        return recorded
    }

    func detachInstance(
        _ name: String, from tenant: TenantID, generation: String?, deleteLaterOn server: EvolutionServerID?,
        reason: DisconnectionReason?
    ) throws(PostgresError) -> Bool {
        let detached = try base.detachInstance(
            name, from: tenant, generation: generation, deleteLaterOn: server, reason: reason)
        if detached { publisher.publish(tenant, qrCode: nil) }
        return detached
    }

    func recordPushedState(
        _ status: EvolutionConnectionState, of name: String, for tenant: TenantID, at eventTime: Timestamp,
        clearQRCode: Bool, detail: ConnectionDetail, changeAudit: AuditEntry
    ) throws(PostgresError) -> RecordedState? {
        let recorded = try base.recordPushedState(
            status, of: name, for: tenant, at: eventTime, clearQRCode: clearQRCode, detail: detail,
            changeAudit: changeAudit)
        // A detail (an account, a reason) can change what status shows without a change of state.
        if let recorded, recorded.previous != status || clearQRCode || detail != .none {
            publisher.publish(tenant, qrCode: nil)
        }
        return recorded
    }

    func storePushedQRCode(
        _ dataURL: String, of name: String, for tenant: TenantID, at eventTime: Timestamp
    ) throws(PostgresError) -> Bool {
        let stored = try base.storePushedQRCode(dataURL, of: name, for: tenant, at: eventTime)
        if stored { publisher.publish(tenant, qrCode: nil) }
        return stored
    }

    func detachRemovedInstance(
        _ name: String, from tenant: TenantID, at eventTime: Timestamp
    ) throws(PostgresError) -> Bool {
        let detached = try base.detachRemovedInstance(name, from: tenant, at: eventTime)
        if detached { publisher.publish(tenant, qrCode: nil) }
        return detached
    }

    func clearConnectionDetails(of name: String, for tenant: TenantID) throws(PostgresError) -> Bool {
        let cleared = try base.clearConnectionDetails(of: name, for: tenant)
        if cleared { publisher.publish(tenant, qrCode: nil) }
        return cleared
    }

    /// Nothing the stream shows changes: the reason is shown only once the instance is no longer live.
    func recordDisconnectRequested(
        of name: String, for tenant: TenantID, generation: String?
    ) throws(PostgresError) {
        try base.recordDisconnectRequested(of: name, for: tenant, generation: generation)
    }

    func withdrawDisconnectRequest(of name: String, for tenant: TenantID) throws(PostgresError) {
        try base.withdrawDisconnectRequest(of: name, for: tenant)
    }

    func pushedQRCode(
        of name: String, for tenant: TenantID, maximumAge: Duration
    ) throws(PostgresError) -> EvolutionQRCode? {
        try base.pushedQRCode(of: name, for: tenant, maximumAge: maximumAge)
    }
}
