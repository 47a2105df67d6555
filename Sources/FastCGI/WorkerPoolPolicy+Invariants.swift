/// The counters' rules: checked after every event of ``WorkerPoolPolicy`` (asserted in debug builds) and by the
/// unit tests, which also show that each broken rule is reported.
extension WorkerPoolPolicy {
    /// A broken rule, with the counters that broke it.
    struct InvariantViolation: Error, Equatable, CustomStringConvertible {
        /// The rule, as written in ``WorkerPoolPolicy/brokenInvariant()``.
        let rule: String
        /// The counters at the time.
        let counters: Counters

        var description: String { "worker pool invariant broken: \(rule) (\(counters))" }
    }

    /// The first rule the counters break, or nil when they keep every one.
    func brokenInvariant() -> String? {
        let counters = counters
        let numbers = [
            counters.live, counters.idle, counters.busy, counters.parked, counters.recalled, counters.leaving,
        ]
        if numbers.contains(where: { $0 < 0 }) { return "no counter is negative" }
        if counters.idle + counters.busy + counters.parked != counters.live { return "idle + busy + parked == live" }
        if counters.recalled > counters.parked { return "recalled <= parked" }
        if counters.live > limits.maximumWorkers { return "live <= maximumWorkers" }
        if counters.busySince.count(where: { $0 != nil }) != counters.busy { return "busy == slots with a busySince" }
        let free = Set(counters.freeSlots)
        if free.count != counters.freeSlots.count || free.contains(where: { !counters.busySince.indices.contains($0) })
            || free.contains(where: { counters.busySince[$0] != nil })
        {
            return "free slots are distinct, exist and are not busy"
        }
        if counters.busySince.count - free.count > counters.live + counters.leaving {
            return "slots in use <= live + leaving"
        }
        if counters.noMoreConnections && !counters.stopping { return "noMoreConnections only while stopping" }
        if counters.supervisorAsleep && (counters.busy > 0 || !counters.supervisorRunning) {
            return "the supervisor sleeps only while running and nothing is in flight"
        }
        if counters.burst < 1 || counters.burst > max(1, limits.maximumWorkers) { return "1 <= burst <= maximum" }
        return nil
    }

    /// Throws the first broken rule.
    func checkInvariants() throws(InvariantViolation) {
        if let rule = brokenInvariant() { throw InvariantViolation(rule: rule, counters: counters) }
    }

    /// Checked after every event in debug builds (a release build skips the check).
    func assertInvariants() {
        assert(
            !assertsInvariants || brokenInvariant() == nil,
            "worker pool invariant broken: \(brokenInvariant() ?? "") (\(counters))")
    }
}
