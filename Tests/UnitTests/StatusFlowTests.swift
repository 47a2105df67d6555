import JSON
import Postgres
import Runtime
import Testing

@testable import TenantWhatsApp

/// `GET …/status` through in-memory fakes: the state Evolution reports, recorded and audited when it changes; an
/// instance gone upstream forgotten; failures mapped; concurrent checks of one tenant sharing one upstream call.
@Suite("Status flow")
struct StatusFlowTests {
    private typealias Tenants = FakeTenantRepository
    private typealias Audit = FakeAuditRecorder.Row
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private let kit: FlowTestKit

    init() throws {
        kit = try FlowTestKit()
    }

    private let notCreated: JSONValue = [
        "connected": false, "instanceName": nil, "status": "not_created",
        "data": ["tenantId": "t1", "instanceName": nil, "lastCheck": .string(ManualFlowClock.timestamp)],
    ]

    private func observed(_ state: EvolutionConnectionState, lastCheck: String = Tenants.checkedAt) -> JSONValue {
        [
            "connected": .bool(state == .open), "instanceName": .string(name), "status": .string(state.rawValue),
            "data": ["tenantId": "t1", "instanceName": .string(name), "lastCheck": .string(lastCheck)],
        ]
    }

    @Test func aTenantWithoutInstanceIsNotCreatedWithoutAskingEvolution() {
        kit.tenants.seed(tenant, .empty)

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body == notCreated)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.audit.entries.isEmpty)
        #expect(kit.lock.attempts.isEmpty)
    }

    @Test(arguments: [EvolutionConnectionState.open, .connecting, .close])
    func theStateEvolutionReportsIsAnsweredAndRecordedWithoutAuditWhenUnchanged(state: EvolutionConnectionState) {
        kit.tenants.seed(tenant, .instance(name, state))
        kit.evolution.scriptConnectionState(.success(state))
        // An open without a recorded account asks for it (here Evolution has none yet).
        if state == .open { kit.evolution.scriptInstanceSummary(.success(nil)) }

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body == observed(state))
        let calls: [FakeEvolution.Call] = [.connectionState(name)] + (state == .open ? [.fetchInstance(name)] : [])
        #expect(kit.evolution.calls == calls)
        #expect(kit.evolution.deadlines == calls.map { _ in kit.statusDeadline })
        #expect(kit.tenants.calls == [.find, .recordState])
        #expect(kit.tenants.row(of: tenant)?.checkedAt == Tenants.checkedAt)
        #expect(kit.audit.entries.isEmpty)
        #expect(kit.lock.attempts.isEmpty)
        #expect(kit.tenantLimiter.holders(of: tenant) == 0)
    }

    @Test func aChangedStateIsRecordedWithOneStateChangeAuditRow() {
        kit.tenants.seed(tenant, .instance(name, .connecting))
        kit.evolution.scriptConnectionState(.success(.open))

        let answer = kit.status()

        #expect(answer.body == observed(.open))
        #expect(kit.tenants.row(of: tenant)?.status == .open)
        #expect(kit.audit.rows == [Audit(.stateChange, "open", instance: name)])
        #expect(kit.audit.entries.first?.requestID == FlowTestKit.requestID)
    }

    @Test func anInstanceGoneUpstreamIsForgottenAuditedAndAnsweredNotCreated() {
        kit.tenants.seed(tenant, .instance(name, .close))
        kit.evolution.scriptConnectionState(.failure(.notFound))

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body == notCreated)
        #expect(kit.tenants.calls == [.find, .detachInstance])
        #expect(kit.tenants.row(of: tenant)?.instanceName == nil)
        #expect(kit.tenants.row(of: tenant)?.status == nil)
        #expect(kit.audit.rows == [Audit(.stateChange, "instance_gone", instance: name)])
    }

    @Test func aGoneInstanceThatAnotherRequestAlreadyForgotIsNotAuditedTwice() {
        kit.tenants.seed(tenant, .instance(name, .close))
        kit.evolution.scriptConnectionState(.failure(.notFound))
        kit.tenants.beforeNext(.detachInstance) { rows in rows[FlowTestKit.tenant] = .empty }

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body == notCreated)
        #expect(kit.audit.entries.isEmpty)
    }

    @Test func aStateForAnInstanceDetachedMeanwhileIsNotRecordedNorAudited() {
        kit.tenants.seed(tenant, .instance(name, .connecting))
        kit.evolution.scriptConnectionState(.success(.open))
        kit.tenants.beforeNext(.recordState) { rows in rows[FlowTestKit.tenant] = .empty }

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body == observed(.open, lastCheck: ManualFlowClock.timestamp))
        #expect(kit.tenants.row(of: tenant) == .empty)
        #expect(kit.audit.entries.isEmpty)
    }

    @Test(arguments: UpstreamFailure.all)
    func anUpstreamFailureIsAnsweredAsTheContractMapsItAndChangesNothing(failure: UpstreamFailure) {
        let stored = Tenants.Row.instance(name, .connecting)
        kit.tenants.seed(tenant, stored)
        kit.evolution.scriptConnectionState(.failure(failure.error))

        let answer = kit.status()

        #expect(answer.status == failure.status)
        #expect(answer.body == RouteAnswer.envelope(failure.code))
        #expect(answer.retryAfter == failure.retryAfter)
        #expect(kit.evolution.calls == [.connectionState(name)])
        #expect(kit.tenants.row(of: tenant) == stored)
        #expect(kit.audit.entries.isEmpty)
        #expect(kit.tenantLimiter.holders(of: tenant) == 0)
    }

    @Test func anUnknownTenantIs404() {
        let answer = kit.status()

        #expect(answer.status == 404)
        #expect(answer.body == RouteAnswer.envelope(.tenantNotFound))
        #expect(kit.evolution.calls.isEmpty)
    }

    @Test(arguments: [
        (FakeTenantRepository.Method.find, PostgresError.Kind.connectionLost, "2"), (.find, .poolTimeout, "1"),
        (.recordState, .connectionLost, "2"),
    ])
    func aRepositoryFailureIs503DatabaseUnavailableWithRetryAfter(
        method: FakeTenantRepository.Method, kind: PostgresError.Kind, retryAfter: String
    ) {
        kit.tenants.seed(tenant, .instance(name, .close))
        kit.evolution.scriptConnectionState(.success(.open))
        kit.tenants.failNext(method, with: PostgresError(kind: kind, message: "database down"))

        let answer = kit.status()

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.databaseUnavailable))
        #expect(answer.retryAfter == retryAfter)
        #expect(kit.tenants.row(of: tenant) == .instance(name, .close))
        #expect(kit.audit.entries.isEmpty)
    }

    @Test func aTenantAtItsCapIs429WithoutCallingEvolution() throws {
        let kit = try FlowTestKit(limit: 1)
        kit.tenants.seed(tenant, .instance(name, .close))
        #expect(kit.tenantLimiter.tryAcquire(tenant))
        defer { kit.tenantLimiter.release(tenant) }

        let answer = kit.status()

        #expect(answer.status == 429)
        #expect(answer.body == RouteAnswer.envelope(.rateLimited))
        #expect(answer.retryAfter == "1")
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.tenants.row(of: tenant) == .instance(name, .close))
    }

    /// Two checks of the tenant: the first from this thread, the second (arrived at `secondStartedAt`) from another
    /// thread once the first's upstream call is in flight. That call waits until the second has joined the flight,
    /// and, with `untilSecondAnswered`, until the second has its answer.
    private func twoChecks(
        secondStartedAt: ContinuousClock.Instant, untilSecondAnswered: Bool = false
    ) throws -> (RouteAnswer, RouteAnswer, Int?) {
        let kit = self.kit
        let leaderCalling = ConditionLock(false)
        let flightsDuringCall = ConditionLock<Int?>(nil)
        let second = ConditionLock<RouteAnswer?>(nil)
        kit.evolution.beforeAnswer { _ in
            flightsDuringCall.withLock { $0 = kit.statusChecks.inFlightCount }
            leaderCalling.withLockNotifying { $0 = true }
            _ = kit.statusJoins.wait(until: .now + .seconds(30)) { $0 >= 1 ? true : nil }
            if untilSecondAnswered { _ = second.wait(until: .now + .seconds(30)) { $0.map { _ in true } } }
        }
        try Threads.detach {
            _ = leaderCalling.wait(until: .now + .seconds(30)) { $0 ? true : nil }
            let answer = kit.status(startedAt: secondStartedAt)
            second.withLockNotifying { $0 = answer }
        }
        let first = kit.status()
        let other = try #require(second.wait(until: .now + .seconds(30)) { $0 })
        return (first, other, flightsDuringCall.withLock { $0 })
    }

    @Test func concurrentChecksOfOneTenantShareOneUpstreamCall() throws {
        kit.tenants.seed(tenant, .instance(name, .connecting))
        kit.evolution.scriptConnectionState(.success(.open))
        kit.evolution.scriptInstanceSummary(.success(nil))

        let (first, second, flightsDuringCall) = try twoChecks(secondStartedAt: kit.startedAt)

        #expect(first.status == 200)
        #expect(second.status == 200)
        #expect(first.body == observed(.open))
        #expect(second.body == first.body)
        #expect(kit.evolution.calls == [.connectionState(name), .fetchInstance(name)])
        #expect(kit.statusJoins.withLock { $0 } == 1)
        #expect(flightsDuringCall == 1)
        #expect(kit.statusChecks.inFlightCount == 0)
        #expect(kit.audit.rows == [Audit(.stateChange, "open", instance: name)])
    }

    @Test func aJoinedCheckWhoseBudgetIsSpentIs504WhileTheSharedCallGoesOn() throws {
        kit.tenants.seed(tenant, .instance(name, .open))
        kit.evolution.scriptConnectionState(.success(.open))
        kit.evolution.scriptInstanceSummary(.success(nil))

        let late = kit.startedAt - kit.settings.statusBudget - .seconds(1)
        let (first, second, _) = try twoChecks(secondStartedAt: late, untilSecondAnswered: true)

        #expect(first.status == 200)
        #expect(first.body == observed(.open))
        #expect(second.status == 504)
        #expect(second.body == RouteAnswer.envelope(.upstreamTimeout))
        #expect(kit.evolution.calls == [.connectionState(name), .fetchInstance(name)])
        #expect(kit.statusJoins.withLock { $0 } == 1)
    }

    @Test(arguments: [(nil, 401, "missing_token"), (TestToken.make(tenantID: "t2"), 403, "tenant_forbidden")])
    func aRequestRefusedByAuthorizationTouchesNothing(token: String?, status: Int, code: String) {
        kit.tenants.seed(tenant, .instance(name, .close))

        let answer = kit.status(token: token)

        #expect(answer.status == status)
        #expect(answer.error == code)
        #expect(kit.touchedNothing)
    }
}
