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
        kit.servers.setBreaker(breakerState, for: .implicitDefault)

        let answer = kit.send(.get, "/api/ready", token: nil)

        #expect(answer.status == 200)
        #expect(
            answer.body
                == [
                    "status": "ready", "evolution": .string(breakerState),
                    "servers": [["id": "default", "state": "active", "breaker": .string(breakerState)]],
                ])
        #expect(checks.withLock { $0 } == 1)
        #expect(kit.touchedNothing)
    }

    @Test func everyServerIsListedAndTheBestBreakerOfThoseNotDisabledIsTheEvolutionState() throws {
        let kit = try FlowTestKit()
        let (one, two, three) = (EvolutionServerID("evo-1")!, EvolutionServerID("evo-2")!, EvolutionServerID("evo-3")!)
        kit.servers.set(.implicitDefault, .draining)
        kit.servers.setBreaker("open", for: .implicitDefault)
        kit.servers.add(one, state: .active)
        kit.servers.setBreaker("half_open", for: one)
        kit.servers.add(two, state: .disabled)
        kit.servers.add(three, state: .draining)
        kit.servers.setBreaker("open", for: three)

        let answer = kit.send(.get, "/api/ready", token: nil)

        #expect(answer.status == 200)
        // evo-2's closed breaker does not count: it is disabled.
        #expect(answer.body["evolution"] == "half_open")
        #expect(
            answer.body["servers"]
                == [
                    ["id": "default", "state": "draining", "breaker": "open"],
                    ["id": "evo-1", "state": "active", "breaker": "half_open"],
                    ["id": "evo-2", "state": "disabled", "breaker": "closed"],
                    ["id": "evo-3", "state": "draining", "breaker": "open"],
                ])
    }
}
