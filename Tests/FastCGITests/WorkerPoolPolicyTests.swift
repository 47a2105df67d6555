import Testing

@testable import FastCGI

/// Each decision of the worker pool's policy, event by event, with time given (never slept on).
@Suite struct WorkerPoolPolicyTests {
    private let start = ContinuousClock.now

    /// A pool of `minimum` to `maximum` workers, the minimum started and begun (slots 0 ..< minimum).
    private func startedPool(minimum: Int, maximum: Int) -> WorkerPoolPolicy {
        var policy = WorkerPoolPolicy(limits: .init(minimumWorkers: minimum, maximumWorkers: maximum))
        for _ in 0..<minimum { policy.workerStarting() }
        for _ in 0..<minimum { _ = policy.workerBegins() }
        return policy
    }

    /// Every worker of slots `slots` takes a connection at `at` milliseconds.
    private func accept(_ slots: Range<Int>, in policy: inout WorkerPoolPolicy, at milliseconds: Int) {
        for slot in slots { _ = policy.accepted(slot: slot, at: start + .milliseconds(milliseconds)) }
    }

    @Test func theLimitsKeepAtLeastOneWorkerAndAMinimumNoLargerThanTheMaximum() {
        #expect(WorkerPoolPolicy.Limits(minimumWorkers: 0, maximumWorkers: 0).minimumWorkers == 1)
        #expect(WorkerPoolPolicy.Limits(minimumWorkers: 8, maximumWorkers: 4).minimumWorkers == 4)
        #expect(WorkerPoolPolicy(limits: .init(minimumWorkers: 4, maximumWorkers: 4)).grows == false)
        #expect(WorkerPoolPolicy(limits: .init(minimumWorkers: 4, maximumWorkers: 5)).grows)
    }

    @Test func aStartingWorkerCountsIdleAndAFailedStartIsTakenBack() throws {
        var policy = WorkerPoolPolicy(limits: .init(minimumWorkers: 2, maximumWorkers: 4))
        policy.workerStarting()
        policy.workerStarting()
        policy.workerDidNotStart()
        #expect(policy.counters.live == 1)
        #expect(policy.counters.idle == 1)
        try policy.checkInvariants()
    }

    @Test func aWorkerTakingAConnectionWakesASleepingSupervisorOnce() {
        var policy = startedPool(minimum: 2, maximum: 8)
        policy.supervisorStarting()
        let supervisorWakes = policy.supervisorWaitsForWork()
        #expect(supervisorWakes == nil)
        let wakesSupervisor = policy.accepted(slot: 0, at: start)
        #expect(wakesSupervisor)
        let wakesSupervisor2 = policy.accepted(slot: 1, at: start)
        #expect(!wakesSupervisor2)
        let supervisorWakes2 = policy.supervisorWaitsForWork()
        #expect(supervisorWakes2 == true)
    }

    @Test func noGrowthWhileAWorkerIsIdleOrAnswersKeepComing() {
        var policy = startedPool(minimum: 2, maximum: 8)
        policy.supervisorStarting()
        accept(0..<1, in: &policy, at: 0)
        let supervisorWakes = policy.supervisorWaitsForWork()
        #expect(supervisorWakes == true)
        let growth = policy.lookForStuckWorkers()
        #expect(growth == .watchAgain)
        accept(1..<2, in: &policy, at: 0)
        let next = policy.finished(slot: 1, at: start + .milliseconds(1))
        #expect(next == .waitForConnection)
        accept(1..<2, in: &policy, at: 1)
        let growth2 = policy.lookForStuckWorkers()
        #expect(growth2 == .watchAgain, "an answer came since the last look")
        let growth3 = policy.lookForStuckWorkers()
        #expect(growth3 == .grow(recall: 0, start: 1))
    }

    @Test func stuckWorkersGetCompanyInDoublingBurstsUpToTheMaximum() {
        var policy = startedPool(minimum: 2, maximum: 9)
        policy.supervisorStarting()
        accept(0..<2, in: &policy, at: 0)
        let supervisorWakes = policy.supervisorWaitsForWork()
        #expect(supervisorWakes == true)
        // Each burst's threads take connections and get stuck too: the next look adds twice as many.
        var slot = 2
        for expected in [1, 2, 4] {
            let growth = policy.lookForStuckWorkers()
            #expect(growth == .grow(recall: 0, start: expected))
            while policy.counters.idle > 0 {
                _ = policy.workerBegins()
                accept(slot..<slot + 1, in: &policy, at: 1)
                slot += 1
            }
        }
        #expect(policy.counters.live == 9)
        let growth = policy.lookForStuckWorkers()
        #expect(growth == .watchAgain, "the pool is full")
    }

    @Test func aLookThatFindsAnIdleWorkerStartsTheBurstsOver() {
        var policy = startedPool(minimum: 2, maximum: 9)
        policy.supervisorStarting()
        accept(0..<2, in: &policy, at: 0)
        _ = policy.supervisorWaitsForWork()
        let growth = policy.lookForStuckWorkers()
        #expect(growth == .grow(recall: 0, start: 1))
        let growth2 = policy.lookForStuckWorkers()
        #expect(growth2 == .watchAgain, "the new worker is idle")
        _ = policy.workerBegins()
        accept(2..<3, in: &policy, at: 1)
        let growth3 = policy.lookForStuckWorkers()
        #expect(growth3 == .grow(recall: 0, start: 1))
    }

    @Test func aFullPoolDoesNotGrow() {
        var policy = startedPool(minimum: 2, maximum: 2)
        accept(0..<2, in: &policy, at: 0)
        let growth = policy.lookForStuckWorkers()
        #expect(growth == .watchAgain)
        #expect(policy.counters.live == 2)
    }

    @Test func aWorkerBeyondTheMinimumParksWhileOthersServeWhatIsNotStuck() {
        var policy = startedPool(minimum: 2, maximum: 8)
        policy.workerStarting()
        _ = policy.workerBegins()
        accept(0..<3, in: &policy, at: 0)
        let next = policy.finished(slot: 0, at: start + .milliseconds(1))
        #expect(next == .waitForConnection, "no other one waits")
        let next2 = policy.finished(slot: 1, at: start + .milliseconds(1))
        #expect(next2 == .park)
        #expect(policy.counters.parked == 1)
        #expect(policy.counters.idle == 1)
    }

    @Test func aWorkerBeyondTheMinimumStaysWhileTheOthersAreStuck() {
        var policy = startedPool(minimum: 2, maximum: 8)
        policy.workerStarting()
        policy.workerStarting()
        _ = policy.workerBegins()
        _ = policy.workerBegins()
        accept(0..<4, in: &policy, at: 0)
        let next = policy.finished(slot: 3, at: start + .milliseconds(10))
        #expect(next == .waitForConnection)
        // Slots 0…2 are stuck for 10 ms: only this one and the idle one serve the rest, the minimum.
        let next2 = policy.finished(slot: 2, at: start + .milliseconds(10))
        #expect(next2 == .waitForConnection)
        #expect(policy.counters.parked == 0)
    }

    @Test func nothingParksWhileStopping() {
        var policy = startedPool(minimum: 2, maximum: 8)
        policy.workerStarting()
        _ = policy.workerBegins()
        accept(0..<3, in: &policy, at: 0)
        let next = policy.finished(slot: 0, at: start)
        #expect(next == .waitForConnection)
        policy.stopRequested()
        let next2 = policy.finished(slot: 1, at: start)
        #expect(next2 == .waitForConnection)
        #expect(policy.counters.parked == 0)
    }

    @Test func parkedWorkersAreCalledBackBeforeThreadsStart() throws {
        var policy = startedPool(minimum: 1, maximum: 8)
        for _ in 0..<3 { policy.workerStarting() }
        for _ in 0..<3 { _ = policy.workerBegins() }
        accept(0..<4, in: &policy, at: 0)
        let next = policy.finished(slot: 0, at: start)
        #expect(next == .waitForConnection)
        let next2 = policy.finished(slot: 1, at: start)
        #expect(next2 == .park)
        let next3 = policy.finished(slot: 2, at: start)
        #expect(next3 == .park)
        policy.supervisorStarting()
        accept(0..<1, in: &policy, at: 1)
        let supervisorWakes = policy.supervisorWaitsForWork()
        #expect(supervisorWakes == true)
        let growth = policy.lookForStuckWorkers()
        #expect(growth == .grow(recall: 1, start: 0))
        #expect(policy.counters.recalled == 1)
        policy.recalledWorkerResumes()
        accept(1..<2, in: &policy, at: 2)
        // Burst 2: the other parked one, and one new thread.
        let growth2 = policy.lookForStuckWorkers()
        #expect(growth2 == .grow(recall: 1, start: 1))
        #expect(policy.counters.live == 5)
        try policy.checkInvariants()
    }

    @Test func aParkedWorkerThatWasNotCalledBackLeavesAndItsThreadFinishesLater() {
        var policy = startedPool(minimum: 1, maximum: 8)
        policy.workerStarting()
        _ = policy.workerBegins()
        accept(0..<2, in: &policy, at: 0)
        let next = policy.finished(slot: 0, at: start)
        #expect(next == .waitForConnection)
        let next2 = policy.finished(slot: 1, at: start)
        #expect(next2 == .park)
        policy.parkedWorkerLeaves()
        #expect(policy.counters.live == 1)
        #expect(policy.counters.leaving == 1)
        policy.stopRequested()
        policy.idleWorkerLeaves()
        #expect(!policy.allThreadsFinished, "one thread has not freed its state yet")
        policy.threadFinished(slot: 1)
        policy.threadFinished(slot: 0)
        #expect(policy.allThreadsFinished)
    }

    @Test func onlyIdleWorkersBeyondTheMinimumRetireAndNoneWhileStopping() {
        var policy = startedPool(minimum: 2, maximum: 8)
        policy.workerStarting()
        _ = policy.workerBegins()
        let retires = policy.idleTimedOut()
        #expect(retires)
        let retires2 = policy.idleTimedOut()
        #expect(!retires2)
        #expect(policy.counters.live == 2)
        policy.workerStarting()
        policy.stopRequested()
        let retires3 = policy.idleTimedOut()
        #expect(!retires3)
    }

    @Test func theSupervisorEndsOnStopAndStopWaitsForIt() {
        var policy = startedPool(minimum: 1, maximum: 2)
        policy.supervisorStarting()
        policy.stopRequested()
        policy.newConnectionsRefused()
        let supervisorWakes = policy.supervisorWaitsForWork()
        #expect(supervisorWakes == false)
        let growth = policy.lookForStuckWorkers()
        #expect(growth == .stop)
        policy.idleWorkerLeaves()
        policy.threadFinished(slot: 0)
        #expect(!policy.allThreadsFinished)
        policy.supervisorEnded()
        #expect(policy.allThreadsFinished)
    }

    @Test func theSlotsOfFinishedThreadsAreReused() {
        var policy = startedPool(minimum: 2, maximum: 8)
        policy.stopRequested()
        policy.idleWorkerLeaves()
        policy.threadFinished(slot: 1)
        policy.workerStarting()
        let slot = policy.workerBegins()
        #expect(slot == 1)
        #expect(policy.counters.busySince.count == 2)
    }
}
