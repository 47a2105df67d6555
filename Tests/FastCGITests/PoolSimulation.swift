@testable import FastCGI

/// The pool's threads as a model: each thread's state, the call-back tickets, the supervisor, the clock. Each step
/// picks a random thread and one of the events that thread could cause in its state, applies it to the policy, and
/// updates the model from the policy's answer.
struct PoolSimulation {
    enum Thread: Equatable {
        case starting
        case idle(slot: Int)
        case busy(slot: Int)
        case parked(slot: Int)
        case leaving(slot: Int)
    }

    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    private var random: SeededGenerator
    private(set) var policy: WorkerPoolPolicy
    private var threads: [Thread] = []
    private var tickets = 0
    private var supervisor = false
    private var now = ContinuousClock.now

    init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
        let minimum = Int.random(in: 1...4, using: &random)
        let maximum = Int.random(in: minimum...minimum + 6, using: &random)
        // Checked after every event by `check(_:)`, which names the seed.
        policy = WorkerPoolPolicy(
            limits: .init(minimumWorkers: minimum, maximumWorkers: maximum), assertsInvariants: false)
        for _ in 0..<minimum {
            policy.workerStarting()
            threads.append(.starting)
        }
        if policy.grows {
            policy.supervisorStarting()
            supervisor = true
        }
    }

    /// One random event; returns its name.
    mutating func step() -> String {
        now += .milliseconds(Int.random(in: 0...4, using: &random))
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 2, !policy.counters.stopping {
            policy.stopRequested()
            return "stop requested"
        }
        if roll < 3, policy.counters.stopping {
            policy.newConnectionsRefused()
            return "new connections refused"
        }
        if roll < 20, supervisor { return supervisorLooks() }
        guard !threads.isEmpty else { return "nothing" }
        let index = Int.random(in: 0..<threads.count, using: &random)
        return threadActs(index, timeoutChance: Int.random(in: 0..<10, using: &random) == 0)
    }

    /// The supervisor wakes and, when there is work, looks for stuck workers.
    private mutating func supervisorLooks() -> String {
        switch policy.supervisorWaitsForWork() {
        case false?:
            policy.supervisorEnded()
            supervisor = false
            return "supervisor ends"
        case nil: return "supervisor sleeps"
        case true?:
            switch policy.lookForStuckWorkers() {
            case .stop:
                policy.supervisorEnded()
                supervisor = false
                return "supervisor ends"
            case .sleep: return "supervisor: nothing in flight"
            case .watchAgain: return "supervisor watches"
            case .grow(let recall, let start):
                tickets += recall
                for _ in 0..<start {
                    if Int.random(in: 0..<20, using: &random) == 0 {
                        policy.workerDidNotStart()
                    } else {
                        threads.append(.starting)
                    }
                }
                return "supervisor grows (recall \(recall), start \(start))"
            }
        }
    }

    /// What thread `index` does next in its state.
    private mutating func threadActs(_ index: Int, timeoutChance: Bool) -> String {
        switch threads[index] {
        case .starting:
            threads[index] = .idle(slot: policy.workerBegins())
            return "worker begins"
        case .idle(let slot):
            if policy.counters.stopping && (policy.counters.noMoreConnections || timeoutChance) {
                policy.idleWorkerLeaves()
                threads[index] = .leaving(slot: slot)
                return "idle worker leaves: stopping"
            }
            if timeoutChance {
                guard policy.idleTimedOut() else { return "idle worker stays" }
                threads[index] = .leaving(slot: slot)
                return "idle worker retires"
            }
            if policy.counters.noMoreConnections { return "idle worker finds nothing to accept" }
            _ = policy.accepted(slot: slot, at: now)
            threads[index] = .busy(slot: slot)
            return "worker accepts"
        case .busy(let slot):
            // Stuck requests: most of the time a busy worker is still waiting.
            guard Int.random(in: 0..<3, using: &random) == 0 else { return "worker still busy" }
            switch policy.finished(slot: slot, at: now) {
            case .waitForConnection: threads[index] = .idle(slot: slot)
            case .park: threads[index] = .parked(slot: slot)
            }
            return "worker finishes"
        case .parked(let slot):
            if tickets > 0 {
                tickets -= 1
                policy.recalledWorkerResumes()
                threads[index] = .idle(slot: slot)
                return "parked worker resumes"
            }
            guard policy.counters.stopping || timeoutChance else { return "parked worker waits" }
            policy.parkedWorkerLeaves()
            threads[index] = .leaving(slot: slot)
            return "parked worker leaves"
        case .leaving(let slot):
            policy.threadFinished(slot: slot)
            threads.remove(at: index)
            return "thread finished"
        }
    }

    /// The policy's rules, and its counters against the model's threads.
    func check(_ context: String) throws {
        do {
            try policy.checkInvariants()
        } catch {
            throw Mismatch(description: "\(context): \(error)")
        }
        func count(_ matches: (Thread) -> Bool) -> Int { threads.count(where: matches) }
        let model = [
            ("idle", count { if case .idle = $0 { true } else { $0 == .starting } }),
            ("busy", count { if case .busy = $0 { true } else { false } }),
            ("parked", count { if case .parked = $0 { true } else { false } }),
            ("leaving", count { if case .leaving = $0 { true } else { false } }),
            ("recalled", tickets),
        ]
        let counted = [
            policy.counters.idle, policy.counters.busy, policy.counters.parked, policy.counters.leaving,
            policy.counters.recalled,
        ]
        for ((name, expected), actual) in zip(model, counted) where expected != actual {
            throw Mismatch(description: "\(context): policy counts \(actual) \(name), the threads \(expected)")
        }
        if supervisor != policy.counters.supervisorRunning {
            throw Mismatch(description: "\(context): the supervisor's state differs")
        }
    }

    /// Stops the pool and lets every thread act until all have finished, as ``WorkerPool/stop()`` waits for.
    mutating func stopAndDrain(context: String) throws {
        policy.stopRequested()
        policy.newConnectionsRefused()
        var steps = 0
        while !threads.isEmpty || supervisor {
            steps += 1
            guard steps < 100_000 else { throw Mismatch(description: "\(context): the pool never finished stopping") }
            if supervisor {
                _ = supervisorLooks()
            } else {
                _ = threadActs(Int.random(in: 0..<threads.count, using: &random), timeoutChance: false)
            }
            try check("\(context), stopping, step \(steps)")
        }
        if !policy.allThreadsFinished || policy.counters.live != 0 {
            throw Mismatch(description: "\(context): stopped, yet the policy counts \(policy.counters)")
        }
    }
}
