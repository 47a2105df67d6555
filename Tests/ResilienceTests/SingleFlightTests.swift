import Resilience
import Runtime
import Testing

/// Sharing one execution per key between threads; every wait in these tests is on a condition, never a sleep.
@Suite("Single flight")
struct SingleFlightTests {
    private let joins = Recorder<String>()
    private let executions = Recorder<String>()

    private func makeFlight() -> SingleFlight<String, Int> {
        SingleFlight { [joins] key in joins.record(key) }
    }

    @Test func concurrentCallersForOneKeyShareOneExecution() throws {
        let flight = makeFlight()
        let callers = 16
        let outcomes = Recorder<SingleFlightOutcome<Int>>()
        for _ in 0..<callers {
            try Threads.detach { [joins, executions] in
                let outcome = flight.run("tenant-1", deadline: .now + .seconds(10)) {
                    executions.record("tenant-1")
                    // Finish only once every other caller has joined this flight, so none of them can lead its own.
                    _ = joins.waitFor(count: callers - 1)
                    return 42
                }
                outcomes.record(outcome)
            }
        }
        let all = try #require(outcomes.waitFor(count: callers))
        #expect(executions.all == ["tenant-1"])
        #expect(all.filter { $0 == .led(42) }.count == 1)
        #expect(all.filter { $0 == .joined(42) }.count == callers - 1)
        #expect(flight.inFlightCount == 0)
    }

    @Test func differentKeysRunIndependently() throws {
        let flight = makeFlight()
        let releaseFirst = Gate()
        let firstStarted = Gate()
        let firstOutcome = Recorder<SingleFlightOutcome<Int>>()
        try Threads.detach {
            let outcome = flight.run("tenant-1", deadline: nil) {
                firstStarted.open()
                releaseFirst.pass()
                return 1
            }
            firstOutcome.record(outcome)
        }
        #expect(firstStarted.pass())
        // tenant-1's flight is still blocked: tenant-2 must neither join it nor wait behind it.
        let second = flight.run("tenant-2", deadline: .now) {
            #expect(flight.inFlightCount == 2)
            return 2
        }
        #expect(second == .led(2))
        #expect(flight.inFlightCount == 1)
        releaseFirst.open()
        #expect(firstOutcome.waitFor(count: 1) == [.led(1)])
        #expect(joins.all.isEmpty)
    }

    @Test func joinerWhoseDeadlinePassesTimesOutWhileOthersGetTheValue() throws {
        let flight = makeFlight()
        let leaderStarted = Gate()
        let releaseLeader = Gate()
        let outcomes = Recorder<SingleFlightOutcome<Int>>()
        try Threads.detach {
            let outcome = flight.run("tenant-1", deadline: nil) {
                leaderStarted.open()
                releaseLeader.pass()
                return 7
            }
            outcomes.record(outcome)
        }
        #expect(leaderStarted.pass())
        // A deadline already in the past: the joiner gives up without the test waiting for time to pass.
        #expect(flight.run("tenant-1", deadline: .now) { 0 } == .timedOut)
        try Threads.detach {
            outcomes.record(flight.run("tenant-1", deadline: .now + .seconds(10)) { 0 })
        }
        _ = try #require(joins.waitFor(count: 2))
        releaseLeader.open()
        let all = try #require(outcomes.waitFor(count: 2))
        #expect(all.contains(.led(7)))
        #expect(all.contains(.joined(7)))
    }

    @Test func callAfterAFlightEndedRunsTheWorkAgain() {
        let flight = makeFlight()
        var runs = 0
        func work() -> Int {
            runs += 1
            return runs
        }
        #expect(flight.run("tenant-1", deadline: nil, work) == .led(1))
        #expect(flight.inFlightCount == 0)
        #expect(flight.run("tenant-1", deadline: nil, work) == .led(2))
        #expect(flight.inFlightCount == 0)
    }

    @Test func countsAKeyInFlightOnlyWhileItsWorkRuns() {
        let flight = makeFlight()
        #expect(flight.inFlightCount == 0)
        let outcome = flight.run("tenant-1", deadline: nil) { flight.inFlightCount }
        #expect(outcome == .led(1))
        #expect(flight.inFlightCount == 0)
    }
}
