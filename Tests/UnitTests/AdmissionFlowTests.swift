import Testing

@testable import TenantWhatsApp

/// Evolution-bound requests beyond the process's bulkhead (`EVOLUTION_MAX_IN_FLIGHT`) are refused at once with 503
/// `overloaded`, before anything is read or called; answers from PostgreSQL are never refused.
@Suite("Admission flow")
struct AdmissionFlowTests {
    private typealias Row = FakeTenantRepository.Row
    private let kit: FlowTestKit

    init() throws {
        kit = try FlowTestKit(admission: 1)
    }

    @Test func aFullBulkheadAnswers503OverloadedAndTouchesNothing() {
        kit.tenants.seed(FlowTestKit.tenant, .empty)
        #expect(kit.admission.tryEnter())

        for answer in [kit.connect(), kit.disconnect()] {
            #expect(answer.status == 503)
            #expect(answer.body == RouteAnswer.envelope(.overloaded))
            #expect(answer.retryAfter == "1")
        }
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.lock.attempts.isEmpty)
    }

    @Test func aStatusAnsweredFromTheDatabaseIsNeverRefused() throws {
        var settings = kit.settings
        settings.statusMaxAge = .seconds(5)
        let kit = try FlowTestKit(admission: 1, settings: settings)
        var row = Row.instance(FlowTestKit.instance, .open)
        row.checkedAt = "2025-08-27T14:05:00.000Z"
        row.checkedAgeMilliseconds = 100
        kit.tenants.seed(FlowTestKit.tenant, row)
        #expect(kit.admission.tryEnter())

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(kit.evolution.calls.isEmpty)
    }

    @Test func theBulkheadIsLeftAfterEachRequest() {
        kit.tenants.seed(FlowTestKit.tenant, Row.instance(FlowTestKit.instance, .open))
        kit.evolution.scriptConnectionState(.success(.open), .success(.open))

        #expect(kit.status().status == 200)
        #expect(kit.status().status == 200)
        #expect(kit.admission.occupancy == 0)
    }
}
