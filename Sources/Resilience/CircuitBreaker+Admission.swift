extension CircuitBreaker {
    /// The answer to ``CircuitBreaker/admit()``: make the call with the permit, or answer at once.
    public enum Admission: ~Copyable, Sendable {
        /// Make the call, then finish the permit with its outcome.
        case allowed(Permit)
        /// Do not call; the dependency is considered down for at least `retryAfter` (exact, always above zero).
        case refused(retryAfter: Duration)
    }

    /// The right to make one call, to be finished with what the call proved.
    ///
    /// Noncopyable, so it is finished at most once (the compiler enforces it). A permit dropped without
    /// ``finish(_:)`` (an early return, a thrown error) finishes as ``CallOutcome/neutral`` when it is destroyed:
    /// the call counts neither way, and if it was the probe, its slot goes to the next caller instead of keeping the
    /// breaker half-open forever.
    public struct Permit: ~Copyable, Sendable {
        private let breaker: CircuitBreaker
        private let ticket: Ticket
        /// What `deinit` reports; `finish` sets it just before the permit is destroyed.
        private var outcome = CallOutcome.neutral

        init(breaker: CircuitBreaker, ticket: Ticket) {
            self.breaker = breaker
            self.ticket = ticket
        }

        /// Whether this call is the half-open probe whose outcome decides the breaker's state.
        public var isProbe: Bool { ticket.isProbe }

        /// Reports what the call proved about the dependency, and gives up the permit.
        public consuming func finish(_ outcome: CallOutcome) {
            // The report itself happens in deinit, which runs as `self` ends here: one path for finished and
            // forgotten permits alike.
            self.outcome = outcome
        }

        deinit {
            breaker.finish(ticket, outcome)
        }
    }
}
