import Runtime

/// Lets concurrent callers asking for the same key share one execution of the work and its value.
///
/// The first caller for a key (the leader) runs the work on its own thread, outside any lock; callers that arrive
/// while it runs (joiners) wait for its value, each up to its own deadline. Once the leader has its value the key is
/// forgotten: nothing is cached, a later caller runs the work again, and no memory is kept per key between flights.
///
/// Safe to share between any number of threads. Joiners of one key wait on that flight alone, so a flight's end
/// wakes only its own joiners.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One execution in progress: its value, once the leader has it. The joiners wait on this lock.
    private typealias Flight = ConditionLock<Value?>

    private let flights = ConditionLock<[Key: Flight]>([:])
    private let onJoin: @Sendable (Key) -> Void

    /// An empty single flight.
    ///
    /// `onJoin` is called (outside any lock) each time a caller joins a flight already in progress, before it starts
    /// waiting: for a metric of shared calls, and for tests that must know every caller has joined.
    public init(onJoin: @escaping @Sendable (Key) -> Void = { _ in }) {
        self.onJoin = onJoin
    }

    /// How many keys have a flight in progress.
    public var inFlightCount: Int {
        flights.withLock { $0.count }
    }

    /// Runs `work` for `key` unless a flight for `key` is already in progress, in which case it waits for that
    /// flight's value until `deadline` (nil: without a deadline).
    ///
    /// The leader always runs `work` to its end (`deadline` bounds only the waiting of joiners), so `work` must keep
    /// to a deadline of its own. A joiner that times out gets ``SingleFlightOutcome/timedOut``; the leader and the
    /// other joiners are not affected. `work` must not run a flight for the same key: it would wait for itself.
    public func run(
        _ key: Key, deadline: ContinuousClock.Instant?, _ work: () -> Value
    ) -> SingleFlightOutcome<Value> {
        let (flight, leads) = flights.withLock { flights -> (Flight, Bool) in
            if let flight = flights[key] { return (flight, false) }
            let flight = Flight(nil)
            flights[key] = flight
            return (flight, true)
        }
        guard leads else { return join(flight, of: key, until: deadline) }
        let value = work()
        // Forget the key before publishing, so a caller arriving from now on starts a fresh flight instead of joining
        // one whose value it would see as already old.
        flights.withLock { flights in flights[key] = nil }
        flight.withLockNotifying { $0 = value }
        return .led(value)
    }

    private func join(
        _ flight: Flight, of key: Key, until deadline: ContinuousClock.Instant?
    ) -> SingleFlightOutcome<Value> {
        onJoin(key)
        guard let value = flight.wait(until: deadline, { $0 }) else { return .timedOut }
        return .joined(value)
    }
}
