import HTTPServer
import Logging
import Postgres
import Testing

@testable import TenantWhatsApp

/// ``LeaseKeeper`` with a fake lock and a manual clock (issue 21, item 5): its renewals decide whether the next step
/// of the flow may run, and its thread renews on its own until stopped.
@Suite("Lease keeper")
struct LeaseKeeperTests {
    private let lock = FakeOperationLock()
    private let clock = ManualFlowClock()
    private let lease = OperationLease(tenant: TenantID("t1")!, owner: "lease-1")
    private let context = RequestContext(requestID: "req-1", startedAt: .now)

    /// A keeper whose own thread renews only every `interval` (an hour: never during a test, unless asked).
    private func keeper(renewingEvery interval: Duration = .seconds(3600)) throws -> LeaseKeeper {
        var settings = LeaseSettings()
        settings.renewalInterval = interval
        settings.retryInterval = interval
        return try #require(
            LeaseKeeper.start(
                lease, acquiredAt: clock.flowClock.now(), lock: lock, settings: settings, clock: clock.flowClock,
                logger: Logger(label: "lease-tests", factory: { _ in SwiftLogNoOpLogHandler() }), requestID: "req-1"))
    }

    @Test func aRenewalThatFindsTheLeaseGoneMakesTheNextStepAnswer409() throws {
        let keeper = try keeper()
        defer { keeper.stop() }
        try keeper.ensureHeld(context)

        lock.renewalAnswer = .gone
        keeper.renew()

        #expect(keeper.loss == .takenOver)
        let error = #expect(throws: APIError.self) { try keeper.ensureHeld(context) }
        #expect(error?.code == .operationInProgress)
        #expect(error?.headers["Retry-After"] == "2")
        #expect(context.logMetadata["lease"] == "taken_over")
    }

    @Test func aLeaseWhoseRenewalsFailIsHeldUntilItsTermRunsOutThen503() throws {
        let keeper = try keeper()
        defer { keeper.stop() }
        lock.renewalAnswer = .failure(PostgresError(kind: .queryFailed, sqlState: "55P03", message: "locked"))
        keeper.renew()
        clock.advance(by: .milliseconds(7_999))
        try keeper.ensureHeld(context)

        clock.advance(by: .milliseconds(1))
        let error = #expect(throws: APIError.self) { try keeper.ensureHeld(context) }
        #expect(error?.code == .databaseUnavailable)
        #expect(error?.headers["Retry-After"] == "1")
        #expect(context.logMetadata["lease"] == "unconfirmed")
    }

    @Test func aRenewalThatGoesThroughKeepsTheLeasePastItsFirstTerm() throws {
        let keeper = try keeper()
        defer { keeper.stop() }
        clock.advance(by: .seconds(5))
        keeper.renew()
        clock.advance(by: .milliseconds(7_999))
        try keeper.ensureHeld(context)
        #expect(lock.renewals == [lease])
    }

    @Test func itsThreadRenewsEveryIntervalUntilStoppedAndNeverAfter() throws {
        let keeper = try keeper(renewingEvery: .milliseconds(5))
        #expect(lock.awaitRenewals(3))
        keeper.stop()
        let renewed = lock.renewals.count
        #expect(!lock.awaitRenewals(renewed + 1, timeout: .milliseconds(100)))
    }

    @Test func itsThreadStopsRenewingALeaseFoundGone() throws {
        let keeper = try keeper(renewingEvery: .milliseconds(5))
        defer { keeper.stop() }
        lock.renewalAnswer = .gone
        #expect(lock.awaitRenewals(1))
        #expect(!lock.awaitRenewals(2, timeout: .milliseconds(100)))
    }
}
