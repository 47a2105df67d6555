import Postgres
import Testing

@testable import TenantWhatsApp

/// `POST …/connect` when something refuses or fails: compensation, the lock, the per-tenant cap, Evolution's
/// failures, and requests rejected before they touch anything.
@Suite("Connect flow failures")
struct ConnectFailureFlowTests {
    private typealias Audit = FakeAuditRecorder.Row
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private let kit: FlowTestKit

    init() throws {
        kit = try FlowTestKit()
    }

    @Test(arguments: [
        Result<Void, EvolutionError>.success(()), .failure(.unreachable(curlCode: 7)), .failure(.timeout),
    ])
    func aCreatedInstanceWhoseNameCannotBeStoredIsDeletedUpstreamAndAnswered503(
        compensation: Result<Void, EvolutionError>
    ) {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))
        kit.tenants.failNext(.attachInstance, with: PostgresError(kind: .connectionLost, message: "server closed"))
        kit.evolution.scriptDelete(compensation)

        let answer = kit.connect()

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.databaseUnavailable))
        #expect(answer.retryAfter == "2")
        #expect(kit.evolution.calls == [.createInstance(name), .deleteInstance(name)])
        #expect(kit.evolution.deadlines.allSatisfy { $0 == kit.operationDeadline })
        if case .success = compensation {
            // Compensated: the place is given back.
            #expect(kit.tenants.calls == [.find, .place, .attachInstance, .releasePlacement])
            #expect(kit.tenants.row(of: tenant) == .empty)
        } else {
            // The instance may be left upstream: the place stays, for the next connect to adopt it there.
            #expect(kit.tenants.calls == [.find, .place, .attachInstance])
            #expect(kit.tenants.row(of: tenant) == FakeTenantRepository.Row(server: .implicitDefault))
        }
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .databaseUnavailable)])
        #expect(kit.lock.granted.count == 1)
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func anAdoptedInstanceWhoseNameCannotBeStoredIsNeverDeleted() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.failure(.nameInUse))
        kit.evolution.scriptConnectionState(.success(.close))
        kit.tenants.failNext(.attachInstance, with: PostgresError(kind: .poolTimeout, message: "pool exhausted"))

        let answer = kit.connect()

        #expect(answer.status == 503)
        #expect(answer.error == "database_unavailable")
        #expect(answer.retryAfter == "1")
        #expect(kit.evolution.calls == [.createInstance(name), .connectionState(name)])
        // The instance exists upstream: the tenant keeps its place there, and the next connect adopts it.
        #expect(kit.tenants.row(of: tenant) == FakeTenantRepository.Row(server: .implicitDefault))
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .databaseUnavailable)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aTenantTheLockDoesNotKnowIs404AndNothingIsCalled() {
        kit.lock.answer = .noSuchTenant

        let answer = kit.connect()

        #expect(answer.status == 404)
        #expect(answer.body == RouteAnswer.envelope(.tenantNotFound))
        #expect(kit.tenants.calls.isEmpty)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.lock.granted.isEmpty)
        #expect(kit.lock.releases.isEmpty)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .tenantNotFound)])
    }

    @Test func aTenantRowGoneAfterTheLockIs404AndTheLeaseGivenBack() {
        let answer = kit.connect()

        #expect(answer.status == 404)
        #expect(answer.error == "tenant_not_found")
        #expect(kit.tenants.calls == [.find])
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.lock.granted.count == 1)
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aLockHeldByAnotherRequestIs409OperationInProgressWithRetryAfter() {
        kit.tenants.seed(tenant, .empty)
        kit.lock.answer = .held

        let answer = kit.connect()

        #expect(answer.status == 409)
        #expect(answer.body == RouteAnswer.envelope(.operationInProgress))
        #expect(answer.retryAfter == "2")
        #expect(kit.tenants.calls.isEmpty)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.lock.releases.isEmpty)
        #expect(kit.tenants.row(of: tenant) == .empty)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .operationInProgress)])
    }

    @Test(arguments: [(PostgresError.Kind.poolTimeout, "1"), (.connectionFailed, "2")])
    func aLockThePoolCannotTakeIs503DatabaseUnavailable(kind: PostgresError.Kind, retryAfter: String) {
        kit.tenants.seed(tenant, .empty)
        kit.lock.answer = .failure(PostgresError(kind: kind, message: "no connection"))

        let answer = kit.connect()

        #expect(answer.status == 503)
        #expect(answer.error == "database_unavailable")
        #expect(answer.retryAfter == retryAfter)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .databaseUnavailable)])
    }

    @Test(arguments: UpstreamFailure.all)
    func aFailedCreateIsAnsweredAsTheContractMapsItAndStoresNothing(failure: UpstreamFailure) {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.failure(failure.error))

        let answer = kit.connect()

        #expect(answer.status == failure.status)
        #expect(answer.body == RouteAnswer.envelope(failure.code))
        #expect(answer.retryAfter == failure.retryAfter)
        #expect(kit.evolution.calls == [.createInstance(name)])
        // The place the create took is given back: the row is as it was.
        #expect(kit.tenants.row(of: tenant) == .empty)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: failure.code)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test(arguments: UpstreamFailure.all)
    func aFailedStateCheckOfTheStoredInstanceLeavesItsRowUnchanged(failure: UpstreamFailure) {
        let stored = FakeTenantRepository.Row.instance(name, .close)
        kit.tenants.seed(tenant, stored)
        kit.evolution.scriptConnectionState(.failure(failure.error))

        let answer = kit.connect()

        #expect(answer.status == failure.status)
        #expect(answer.error == failure.code.rawValue)
        #expect(answer.retryAfter == failure.retryAfter)
        #expect(kit.evolution.calls == [.connectionState(name)])
        #expect(kit.tenants.row(of: tenant) == stored)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: failure.code)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aPollThatTimesOutAfterACreateKeepsTheStoredInstanceForTheNextConnect() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: .qrCodePending)))
        kit.evolution.scriptConnect(.success(.qrCodePending), .failure(.timeout))

        let answer = kit.connect()

        #expect(answer.status == 504)
        #expect(answer.error == "upstream_timeout")
        #expect(kit.evolution.calls == [.createInstance(name), .connect(name), .connect(name)])
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .upstreamTimeout)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aTenantAtItsCapIs429BeforeTakingTheLockOrCallingEvolution() throws {
        let kit = try FlowTestKit(limit: 1)
        kit.tenants.seed(tenant, .empty)
        #expect(kit.tenantLimiter.tryAcquire(tenant))
        defer { kit.tenantLimiter.release(tenant) }

        let answer = kit.connect()

        #expect(answer.status == 429)
        #expect(answer.body == RouteAnswer.envelope(.rateLimited))
        #expect(answer.retryAfter == "1")
        #expect(kit.lock.attempts.isEmpty)
        #expect(kit.tenants.calls.isEmpty)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.tenantLimiter.holders(of: tenant) == 1)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .rateLimited)])
    }

    @Test(arguments: [
        ("a=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("{}", nil, 415, "unsupported_media_type"), ("{}", "text/plain", 415, "unsupported_media_type"),
        ("[1]", "application/json", 400, "invalid_body"), ("\"x\"", "application/json", 400, "invalid_body"),
        ("{", "application/json; charset=utf-8", 400, "invalid_body"),
    ])
    func aBodyThatBreaksTheRulesIsRefusedTouchingNothing(body: String, type: String?, status: Int, code: String) {
        kit.tenants.seed(tenant, .empty)

        let answer = kit.connect(body: body, contentType: type)

        #expect(answer.status == status)
        #expect(answer.error == code)
        #expect(kit.touchedNothing)
    }

    @Test(arguments: [("{\"a\":1}", "Application/JSON; charset=utf-8"), (" \r\n\t", nil)])
    func aJSONObjectOrEmptyBodyIsAccepted(body: String, type: String?) {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))

        #expect(kit.connect(body: body, contentType: type).status == 201)
    }

    @Test(arguments: [
        ("t1", nil, 401, "missing_token"), ("t1", "not-a-jwt", 401, "invalid_token"),
        ("t1", TestToken.make(tenantID: "t2"), 403, "tenant_forbidden"),
        ("t1%2F", TestToken.make(), 400, "invalid_tenant_id"),
    ])
    func aRequestRefusedByAuthorizationTouchesNothing(path: String, token: String?, status: Int, code: String) {
        kit.tenants.seed(tenant, .empty)

        let answer = kit.connect(tenant: path, token: token)

        #expect(answer.status == status)
        #expect(answer.error == code)
        #expect(kit.touchedNothing)
    }
}
