import Testing

@testable import FastCGI

/// The policy's rules: broken counters are reported, and thousands of random, legal event sequences (threads
/// starting, accepting, finishing, parking, being called back, retiring, stopping, finishing) keep every rule after
/// every event and agree with a model of the threads. Reproducible: each sequence has its own seed, printed on failure.
@Suite struct WorkerPoolPolicyInvariantTests {
    static let firstSeed: UInt64 = 0x5EED_22
    static let sequences = 2000
    static let eventsPerSequence = 300

    private static let limits = WorkerPoolPolicy.Limits(minimumWorkers: 2, maximumWorkers: 6)

    /// A valid pool: three workers, one busy since `start`.
    private static func validCounters() -> WorkerPoolPolicy.Counters {
        var policy = WorkerPoolPolicy(limits: limits)
        for _ in 0..<3 { policy.workerStarting() }
        for _ in 0..<3 { _ = policy.workerBegins() }
        _ = policy.accepted(slot: 0, at: .now)
        return policy.counters
    }

    @Test func aValidPoolKeepsEveryRule() throws {
        try WorkerPoolPolicy(limits: Self.limits, counters: Self.validCounters()).checkInvariants()
    }

    /// Each broken state is reported with the rule it breaks.
    @Test(arguments: BrokenState.allCases)
    func aBrokenRuleIsReported(_ broken: BrokenState) {
        var counters = Self.validCounters()
        broken.apply(to: &counters)
        let policy = WorkerPoolPolicy(limits: Self.limits, counters: counters)
        #expect(throws: WorkerPoolPolicy.InvariantViolation(rule: broken.rule, counters: counters)) {
            try policy.checkInvariants()
        }
    }

    /// Ways to break a valid pool (``validCounters()``), one rule each.
    enum BrokenState: CaseIterable, Sendable {
        case idleCountedTwice, liveForgotten, negativeLeaving, recalledWithoutParked, beyondTheMaximum
        case busyWithoutSince, busySlotFreed, missingSlotFreed, slotWithoutThread, refusingWithoutStopping
        case supervisorAsleepWhileBusy, noBurst

        var rule: String {
            switch self {
            case .idleCountedTwice, .liveForgotten: "idle + busy + parked == live"
            case .negativeLeaving: "no counter is negative"
            case .recalledWithoutParked: "recalled <= parked"
            case .beyondTheMaximum: "live <= maximumWorkers"
            case .busyWithoutSince: "busy == slots with a busySince"
            case .busySlotFreed, .missingSlotFreed: "free slots are distinct, exist and are not busy"
            case .slotWithoutThread: "slots in use <= live + leaving"
            case .refusingWithoutStopping: "noMoreConnections only while stopping"
            case .supervisorAsleepWhileBusy: "the supervisor sleeps only while running and nothing is in flight"
            case .noBurst: "1 <= burst <= maximum"
            }
        }

        func apply(to counters: inout WorkerPoolPolicy.Counters) {
            switch self {
            case .idleCountedTwice: counters.idle += 1
            case .liveForgotten: counters.live -= 1
            case .negativeLeaving: counters.leaving = -1
            case .recalledWithoutParked: counters.recalled = 1
            case .beyondTheMaximum:
                counters.live += 4
                counters.idle += 4
            case .busyWithoutSince:
                counters.busySince[0] = nil
            case .busySlotFreed: counters.freeSlots = [0]
            case .missingSlotFreed: counters.freeSlots = [7]
            case .slotWithoutThread: counters.busySince.append(nil)
            case .refusingWithoutStopping: counters.noMoreConnections = true
            case .supervisorAsleepWhileBusy: counters.supervisorAsleep = true
            case .noBurst: counters.burst = 0
            }
        }
    }

    /// A transition written wrongly (a finished worker not counted idle again) is caught at once by the check the
    /// random sequences run after every event.
    @Test func aTransitionThatForgetsACounterIsCaught() {
        var counters = Self.validCounters()
        // What `finished` would do if it forgot `idle += 1`:
        counters.busy -= 1
        counters.busySince[0] = nil
        let policy = WorkerPoolPolicy(limits: Self.limits, counters: counters)
        #expect(policy.brokenInvariant() == "idle + busy + parked == live")
    }

    @Test func randomEventSequencesKeepEveryRuleAndMatchTheThreads() throws {
        var seen: Set<String> = []
        for index in 0..<Self.sequences {
            let seed = Self.firstSeed &+ UInt64(index)
            var simulation = PoolSimulation(seed: seed)
            for step in 0..<Self.eventsPerSequence {
                let event = simulation.step()
                seen.insert(String(event.prefix { $0 != "(" }))
                try simulation.check("seed \(seed), step \(step), after \(event)")
            }
            try simulation.stopAndDrain(context: "seed \(seed)")
        }
        // The sequences reach every kind of event, so the rules are checked where they could break.
        let required = [
            "worker begins", "worker accepts", "worker finishes", "supervisor grows ", "parked worker resumes",
            "parked worker leaves", "idle worker retires", "idle worker leaves: stopping", "thread finished",
            "supervisor ends", "stop requested", "new connections refused",
        ]
        #expect(Set(required).subtracting(seen).isEmpty, "never reached: \(Set(required).subtracting(seen))")
    }
}
