import JSON
import Postgres
import Runtime
import Testing

@testable import TenantWhatsApp

/// `GET /api/ready`: the database check decides, the circuit breaker's state is reported.
@Suite("Readiness")
struct ReadyHandlerTests {
    @Test(arguments: [(PostgresError.Kind.connectionFailed, "2"), (.poolTimeout, "1"), (.queryFailed, "2")])
    func aFailingDatabaseCheckIs503DatabaseUnavailable(kind: PostgresError.Kind, retryAfter: String) throws {
        let kit = try FlowTestKit(checkDatabase: { () throws(PostgresError) in
            throw PostgresError(kind: kind, message: "relation \"schema_migrations\" does not exist")
        })

        let answer = kit.send(.get, "/api/ready", token: nil)

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.databaseUnavailable))
        #expect(answer.retryAfter == retryAfter)
    }

    @Test(arguments: ["closed", "open", "half_open"])
    func aWorkingDatabaseIsReadyWithTheBreakersState(breakerState: String) throws {
        let checks = ConditionLock(0)
        let kit = try FlowTestKit(checkDatabase: { checks.withLock { $0 += 1 } })
        kit.evolution.breakerState = breakerState

        let answer = kit.send(.get, "/api/ready", token: nil)

        #expect(answer.status == 200)
        #expect(answer.body == ["status": "ready", "evolution": .string(breakerState)])
        #expect(checks.withLock { $0 } == 1)
        #expect(kit.touchedNothing)
    }
}
