import Resilience
import Runtime
import Testing

/// The breaker's states and transitions on a manual clock; threads only where admission races matter.
@Suite("Circuit breaker")
struct CircuitBreakerTests {
    private let clock = ManualClock()
    private let transitions = Recorder<String>()

    private func makeBreaker(threshold: Int = 3, cooldown: Duration = .seconds(30)) -> CircuitBreaker {
        CircuitBreaker(failureThreshold: threshold, cooldown: cooldown, now: clock.now) { [transitions] from, to in
            transitions.record("\(from.rawValue)→\(to.rawValue)")
        }
    }

    /// Opens `breaker` from closed with `threshold` failures.
    private func open(_ breaker: CircuitBreaker, threshold: Int = 3) {
        for _ in 0..<threshold { breaker.call(.failure) }
    }

    @Test func opensAfterExactlyThresholdConsecutiveFailuresAndNotOneBefore() {
        let breaker = makeBreaker(threshold: 3)
        #expect(breaker.call(.failure))
        #expect(breaker.call(.failure))
        #expect(breaker.state == .closed)
        #expect(breaker.call(.failure))
        #expect(breaker.state == .open)
        #expect(!breaker.call(.success))
    }

    @Test func successBetweenFailuresStartsTheCountAgain() {
        let breaker = makeBreaker(threshold: 3)
        for outcome in [CircuitBreaker.CallOutcome.failure, .failure, .success, .failure, .failure] {
            breaker.call(outcome)
        }
        #expect(breaker.state == .closed)
        breaker.call(.failure)
        #expect(breaker.state == .open)
    }

    @Test func neutralOutcomesWhileClosedNeitherCountNorReset() {
        let breaker = makeBreaker(threshold: 3)
        for outcome in [CircuitBreaker.CallOutcome.failure, .neutral, .failure, .neutral] {
            breaker.call(outcome)
        }
        #expect(breaker.state == .closed)
        breaker.call(.failure)
        #expect(breaker.state == .open)
    }

    @Test func refusesWithTheExactTimeLeftUntilTheCooldownEnds() {
        let breaker = makeBreaker(cooldown: .seconds(30))
        open(breaker)
        #expect(breaker.admit().refusal() == .seconds(30))
        clock.advance(by: .seconds(10))
        #expect(breaker.admit().refusal() == .seconds(20))
        clock.advance(by: .milliseconds(19_750))
        #expect(breaker.admit().refusal() == .milliseconds(250))
    }

    @Test func staysOpenAfterTheCooldownUntilAProbeIsAdmitted() throws {
        let breaker = makeBreaker(cooldown: .seconds(30))
        open(breaker)
        clock.advance(by: .seconds(31))
        #expect(breaker.state == .open)
        let probe = try breaker.admit().requirePermit()
        let isProbe = probe.isProbe
        #expect(isProbe)
        #expect(breaker.state == .halfOpen)
        probe.finish(.success)
    }

    @Test func refusesEveryoneElseWhileTheProbeIsInFlight() throws {
        let breaker = makeBreaker(cooldown: .seconds(30))
        open(breaker)
        clock.advance(by: .seconds(30))
        let probe = try breaker.admit().requirePermit()
        for _ in 0..<3 {
            #expect(breaker.admit().refusal() == CircuitBreaker.probeRetryAfter)
        }
        probe.finish(.success)
    }

    @Test func admitsExactlyOneProbeAmongManyConcurrentCallers() throws {
        let breaker = makeBreaker(cooldown: .seconds(30))
        open(breaker)
        clock.advance(by: .seconds(30))
        let callers = 64
        let start = Gate()
        let answers = Recorder<String>()
        let finished = Recorder<Bool>()
        for _ in 0..<callers {
            try Threads.detach {
                start.pass()
                switch breaker.admit() {
                case .refused:
                    answers.record("refused")
                case .allowed(let permit):
                    answers.record("allowed")
                    // Hold the probe until every caller has its answer: finishing early would let another probe go.
                    _ = answers.waitFor(count: callers)
                    permit.finish(.success)
                }
                finished.record(true)
            }
        }
        start.open()
        let all = try #require(answers.waitFor(count: callers))
        #expect(all.filter { $0 == "allowed" }.count == 1)
        #expect(all.filter { $0 == "refused" }.count == callers - 1)
        _ = try #require(finished.waitFor(count: callers))
        #expect(breaker.state == .closed)
    }

    @Test func probeSuccessClosesTheBreaker() throws {
        let breaker = makeBreaker(cooldown: .seconds(30))
        open(breaker)
        clock.advance(by: .seconds(30))
        try breaker.admit().requirePermit().finish(.success)
        #expect(breaker.state == .closed)
        #expect(breaker.call(.success))
    }

    @Test func probeFailureReopensForAFreshCooldown() throws {
        let breaker = makeBreaker(cooldown: .seconds(30))
        open(breaker)
        clock.advance(by: .seconds(45))
        let probe = try breaker.admit().requirePermit()
        clock.advance(by: .seconds(5))
        probe.finish(.failure)
        #expect(breaker.state == .open)
        #expect(breaker.admit().refusal() == .seconds(30))
    }

    @Test func neutralProbeOutcomeFreesTheSlotForTheNextCaller() throws {
        let breaker = makeBreaker(cooldown: .seconds(30))
        open(breaker)
        clock.advance(by: .seconds(30))
        try breaker.admit().requirePermit().finish(.neutral)
        #expect(breaker.state == .halfOpen)
        let nextProbe = try breaker.admit().requirePermit()
        let isProbe = nextProbe.isProbe
        #expect(isProbe)
        #expect(breaker.admit().refusal() == CircuitBreaker.probeRetryAfter)
        nextProbe.finish(.success)
        #expect(breaker.state == .closed)
    }

    @Test func forgottenPermitFinishesAsNeutral() {
        let breaker = makeBreaker(cooldown: .seconds(30))
        open(breaker)
        clock.advance(by: .seconds(30))
        // The probe is dropped without `finish`, as an early return would.
        _ = breaker.admit().permit()
        #expect(breaker.state == .halfOpen)
        #expect(breaker.admit().permit()?.isProbe == true)
    }

    @Test func outcomesOfCallsAdmittedBeforeTheBreakerOpenedAreIgnored() throws {
        let breaker = makeBreaker(threshold: 1, cooldown: .seconds(30))
        let slowFailure = try breaker.admit().requirePermit()
        let lateSuccess = try breaker.admit().requirePermit()
        let lateFailure = try breaker.admit().requirePermit()
        breaker.call(.failure)
        clock.advance(by: .seconds(10))
        slowFailure.finish(.failure)
        #expect(breaker.admit().refusal() == .seconds(20))
        clock.advance(by: .seconds(20))
        let probe = try breaker.admit().requirePermit()
        // Only the probe decides: calls from before the breaker opened prove nothing about now.
        lateSuccess.finish(.success)
        #expect(breaker.state == .halfOpen)
        lateFailure.finish(.failure)
        #expect(breaker.state == .halfOpen)
        probe.finish(.success)
        #expect(breaker.state == .closed)
    }

    @Test func reportsEachTransitionOnceInOrder() throws {
        let breaker = makeBreaker(threshold: 2, cooldown: .seconds(30))
        open(breaker, threshold: 2)
        clock.advance(by: .seconds(30))
        try breaker.admit().requirePermit().finish(.failure)
        clock.advance(by: .seconds(30))
        try breaker.admit().requirePermit().finish(.neutral)
        try breaker.admit().requirePermit().finish(.success)
        breaker.call(.failure)
        #expect(
            transitions.all == [
                "closed→open", "open→half_open", "half_open→open", "open→half_open", "half_open→closed",
            ])
    }

    @Test func transitionHandlerMayReadTheState() {
        let seen = Recorder<CircuitBreaker.State>()
        let holder = ConditionLock<CircuitBreaker?>(nil)
        let breaker = CircuitBreaker(failureThreshold: 1, cooldown: .seconds(30), now: clock.now) { _, _ in
            // Reading the state here would deadlock if the handler ran with the breaker's lock held.
            if let breaker = holder.withLock({ $0 }) { seen.record(breaker.state) }
        }
        holder.withLock { $0 = breaker }
        breaker.call(.failure)
        #expect(seen.all == [.open])
    }

    @Test func runCallsThroughAndRecordsTheClassifiedOutcome() {
        struct Down: Error {}
        let breaker = makeBreaker(threshold: 1, cooldown: .seconds(30))
        let answer = breaker.run({ () throws(Down) -> Int in 200 }, isFailure: { _ in false })
        guard case .completed(.success(200)) = answer else {
            Issue.record("expected the call to complete with 200, got \(answer)")
            return
        }
        let failed = breaker.run({ () throws(Down) -> Int in throw Down() }, isFailure: { _ in true })
        guard case .completed(.failure) = failed else {
            Issue.record("expected the call to complete with its error, got \(failed)")
            return
        }
        #expect(breaker.state == .open)
    }

    @Test func runRefusesWithoutCallingWhileOpen() {
        let breaker = makeBreaker(threshold: 1, cooldown: .seconds(30))
        breaker.call(.failure)
        let calls = Recorder<Bool>()
        let answer = breaker.run({ calls.record(true) }, classify: { _ in .success })
        guard case .refused(let retryAfter) = answer else {
            Issue.record("expected a refusal, got \(answer)")
            return
        }
        #expect(retryAfter == .seconds(30))
        #expect(calls.all.isEmpty)
    }
}
