import JSON
import Postgres
import Testing

@testable import TenantWhatsApp

/// `DELETE …/disconnect` through in-memory fakes: the instance deleted upstream (after a logout where Evolution asks
/// for one) and forgotten; when Evolution fails, the row stays as it was.
@Suite("Disconnect flow")
struct DisconnectFlowTests {
    private typealias Row = FakeTenantRepository.Row
    private typealias Audit = FakeAuditRecorder.Row
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private let stored = Row.instance(FlowTestKit.instance, .open)
    private let kit: FlowTestKit

    init() throws {
        kit = try FlowTestKit()
    }

    private var disconnected: JSONValue {
        [
            "success": true, "message": .string(WhatsAppResponses.disconnectedMessage),
            "data": [
                "tenantId": "t1", "instanceName": .string(name), "disconnectedAt": .string(ManualFlowClock.timestamp),
            ],
        ]
    }

    /// The instance is forgotten, every upstream call had the operation's deadline, the lease was given back.
    private func expectForgotten() {
        #expect(kit.tenants.row(of: tenant)?.instanceName == nil)
        #expect(kit.tenants.row(of: tenant)?.status == nil)
        #expect(kit.tenants.calls == [.find, .recordDisconnectRequested, .detachInstance])
        #expect(kit.evolution.deadlines.allSatisfy { $0 == kit.operationDeadline })
        #expect(kit.lock.granted.count == 1)
        #expect(kit.lock.releases == kit.lock.granted)
        #expect(kit.tenantLimiter.holders(of: tenant) == 0)
    }

    @Test func anOpenInstanceIsDeletedAndForgotten() {
        kit.tenants.seed(tenant, stored)
        kit.evolution.scriptDelete(.success(()))

        let answer = kit.disconnect()

        #expect(answer.status == 200)
        #expect(answer.body == disconnected)
        #expect(kit.evolution.calls == [.deleteInstance(name)])
        #expect(kit.audit.rows == [Audit(.disconnect, "disconnected", instance: name)])
        expectForgotten()
    }

    @Test func anInstanceAlreadyGoneUpstreamIsStillForgotten() {
        kit.tenants.seed(tenant, stored)
        kit.evolution.scriptDelete(.failure(.notFound))

        let answer = kit.disconnect()

        #expect(answer.status == 200)
        #expect(answer.body == disconnected)
        #expect(kit.evolution.calls == [.deleteInstance(name)])
        #expect(kit.audit.rows == [Audit(.disconnect, "already_gone", instance: name)])
        expectForgotten()
    }

    @Test(arguments: [EvolutionLogoutResult.loggedOut, .wasNotConnected])
    func anInstanceThatMustBeLoggedOutFirstIsLoggedOutThenDeleted(logout: EvolutionLogoutResult) {
        kit.tenants.seed(tenant, stored)
        kit.evolution.scriptDelete(.failure(.needsLogout), .success(()))
        kit.evolution.scriptLogout(.success(logout))

        let answer = kit.disconnect()

        #expect(answer.status == 200)
        #expect(answer.body == disconnected)
        #expect(kit.evolution.calls == [.deleteInstance(name), .logout(name), .deleteInstance(name)])
        #expect(kit.audit.rows == [Audit(.disconnect, "disconnected", instance: name)])
        expectForgotten()
    }

    @Test(arguments: UpstreamFailure.all)
    func anUpstreamFailureLeavesTheRowUnchanged(failure: UpstreamFailure) {
        kit.tenants.seed(tenant, stored)
        kit.evolution.scriptDelete(.failure(failure.error))

        let answer = kit.disconnect()

        #expect(answer.status == failure.status)
        #expect(answer.body == RouteAnswer.envelope(failure.code))
        #expect(answer.retryAfter == failure.retryAfter)
        #expect(kit.evolution.calls == [.deleteInstance(name)])
        // The disconnect's `user`, recorded as it began, is withdrawn: the row is as it was.
        #expect(kit.tenants.row(of: tenant) == stored)
        #expect(kit.tenants.calls == [.find, .recordDisconnectRequested, .withdrawDisconnectRequest])
        #expect(kit.audit.rows == [Audit(.disconnect, "failed", error: failure.code, instance: name)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aFailedLogoutLeavesTheRowUnchanged() {
        kit.tenants.seed(tenant, stored)
        kit.evolution.scriptDelete(.failure(.needsLogout))
        kit.evolution.scriptLogout(.failure(.timeout))

        let answer = kit.disconnect()

        #expect(answer.status == 504)
        #expect(answer.error == "upstream_timeout")
        #expect(kit.evolution.calls == [.deleteInstance(name), .logout(name)])
        #expect(kit.tenants.row(of: tenant) == stored)
        #expect(kit.audit.rows == [Audit(.disconnect, "failed", error: .upstreamTimeout, instance: name)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aNameThatCannotBeClearedAfterTheDeleteIs503() {
        kit.tenants.seed(tenant, stored)
        kit.evolution.scriptDelete(.success(()))
        kit.tenants.failNext(.detachInstance, with: PostgresError(kind: .connectionLost, message: "server closed"))

        let answer = kit.disconnect()

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.databaseUnavailable))
        #expect(answer.retryAfter == "2")
        #expect(kit.audit.rows == [Audit(.disconnect, "failed", error: .databaseUnavailable, instance: name)])
        #expect(kit.lock.releases == kit.lock.granted)

        // The instance is gone upstream and its name still stored: calling disconnect again repairs it.
        kit.evolution.scriptDelete(.failure(.notFound))
        let retry = kit.disconnect()
        #expect(retry.status == 200)
        #expect(kit.tenants.row(of: tenant)?.instanceName == nil)
        #expect(kit.audit.rows.last == Audit(.disconnect, "already_gone", instance: name))
    }

    @Test func aTenantWithoutInstanceIs404InstanceNotFound() {
        kit.tenants.seed(tenant, .empty)

        let answer = kit.disconnect()

        #expect(answer.status == 404)
        #expect(answer.body == RouteAnswer.envelope(.instanceNotFound))
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.tenants.row(of: tenant) == .empty)
        #expect(kit.audit.rows == [Audit(.disconnect, "failed", error: .instanceNotFound)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func anUnknownTenantIs404TenantNotFound() {
        kit.lock.answer = .noSuchTenant

        let answer = kit.disconnect()

        #expect(answer.status == 404)
        #expect(answer.error == "tenant_not_found")
        #expect(kit.tenants.calls.isEmpty)
        #expect(kit.evolution.calls.isEmpty)
    }

    @Test func aLockHeldByAnotherRequestIs409WithRetryAfterAndChangesNothing() {
        kit.tenants.seed(tenant, stored)
        kit.lock.answer = .held

        let answer = kit.disconnect()

        #expect(answer.status == 409)
        #expect(answer.body == RouteAnswer.envelope(.operationInProgress))
        #expect(answer.retryAfter == "2")
        #expect(kit.tenants.calls.isEmpty)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.tenants.row(of: tenant) == stored)
        #expect(kit.lock.releases.isEmpty)
        #expect(kit.audit.rows == [Audit(.disconnect, "failed", error: .operationInProgress)])
    }

    @Test func aTenantAtItsCapIs429BeforeTakingTheLock() throws {
        let kit = try FlowTestKit(limit: 1)
        kit.tenants.seed(tenant, stored)
        #expect(kit.tenantLimiter.tryAcquire(tenant))
        defer { kit.tenantLimiter.release(tenant) }

        let answer = kit.disconnect()

        #expect(answer.status == 429)
        #expect(answer.retryAfter == "1")
        #expect(answer.error == "rate_limited")
        #expect(kit.lock.attempts.isEmpty)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.tenants.row(of: tenant) == stored)
    }

    @Test(arguments: [(nil, 401, "missing_token"), (TestToken.make(tenantID: "t2"), 403, "tenant_forbidden")])
    func aRequestRefusedByAuthorizationTouchesNothing(token: String?, status: Int, code: String) {
        kit.tenants.seed(tenant, stored)

        let answer = kit.disconnect(token: token)

        #expect(answer.status == status)
        #expect(answer.error == code)
        #expect(kit.touchedNothing)
    }
}
