extension CircuitBreaker {
    /// Which call a permit stands for: the epoch it was admitted in, and whether it is the probe.
    struct Ticket: Sendable {
        /// The machine's epoch when the call was admitted.
        let epoch: UInt64
        /// Whether the call is the half-open probe.
        let isProbe: Bool
    }

    /// Where the breaker is, with what each state needs to decide the next call.
    enum Phase {
        /// Admitting; counting failures in a row.
        case closed(consecutiveFailures: Int)
        /// Refusing until `until`; the first caller from then on is the probe.
        case open(until: ContinuousClock.Instant)
        /// Refusing while the probe is in flight; without one, the next caller becomes the probe.
        case halfOpen(probeInFlight: Bool)

        /// The phase as callers see it.
        var state: State {
            switch self {
            case .closed: .closed
            case .open: .open
            case .halfOpen: .halfOpen
            }
        }
    }

    /// What the lock decided about a call; the permit itself is made outside the lock.
    enum Decision {
        /// Make the call under this ticket.
        case allowed(Ticket)
        /// Refuse, asking to wait `retryAfter`.
        case refused(retryAfter: Duration)
    }

    /// The breaker's state behind its lock: the phase, plus the transitions not yet reported to `onTransition`.
    struct Machine {
        /// Failures in a row that open a closed breaker.
        let threshold: Int
        /// How long an opened breaker refuses before it admits a probe.
        let cooldown: Duration
        /// Where the breaker is.
        var phase = Phase.closed(consecutiveFailures: 0)
        /// Changes with every transition and every probe admitted, so an outcome from an earlier epoch is recognised
        /// as stale and ignored.
        var epoch: UInt64 = 0
        /// Transitions made but not yet reported to `onTransition`, oldest first.
        var undelivered: [(from: State, to: State)] = []
        /// Whether some thread is calling `onTransition`; only one does at a time, which keeps the calls in order.
        var delivering = false

        /// A closed machine.
        init(threshold: Int, cooldown: Duration) {
            self.threshold = threshold
            self.cooldown = cooldown
        }

        /// Decides about a call asked for at `instant`, taking the probe slot when it admits the probe.
        mutating func admit(at instant: ContinuousClock.Instant) -> Decision {
            switch phase {
            case .closed:
                return .allowed(Ticket(epoch: epoch, isProbe: false))
            case .open(let until) where instant < until:
                return .refused(retryAfter: until - instant)
            case .open:
                move(to: .halfOpen(probeInFlight: true))
                return .allowed(Ticket(epoch: epoch, isProbe: true))
            case .halfOpen(probeInFlight: true):
                return .refused(retryAfter: CircuitBreaker.probeRetryAfter)
            case .halfOpen(probeInFlight: false):
                // Not a transition: the state stays half-open, but the new probe gets its own epoch.
                phase = .halfOpen(probeInFlight: true)
                epoch &+= 1
                return .allowed(Ticket(epoch: epoch, isProbe: true))
            }
        }

        /// Applies the outcome of the call admitted under `ticket`, finished at `instant`; stale tickets change nothing.
        mutating func finish(_ ticket: Ticket, _ outcome: CallOutcome, at instant: ContinuousClock.Instant) {
            guard ticket.epoch == epoch else { return }
            switch (phase, outcome) {
            case (_, .neutral) where ticket.isProbe:
                phase = .halfOpen(probeInFlight: false)
            case (_, .neutral):
                break
            case (.closed, .success):
                phase = .closed(consecutiveFailures: 0)
            case (.closed(let failures), .failure) where failures + 1 < threshold:
                phase = .closed(consecutiveFailures: failures + 1)
            case (.closed, .failure), (.halfOpen, .failure):
                move(to: .open(until: instant + cooldown))
            case (.halfOpen, .success):
                move(to: .closed(consecutiveFailures: 0))
            case (.open, _):
                // Unreachable: opening starts a new epoch, so no permit of the current epoch exists while open.
                break
            }
        }

        private mutating func move(to next: Phase) {
            undelivered.append((from: phase.state, to: next.state))
            phase = next
            epoch &+= 1
        }

        /// Whether the calling thread must now report the undelivered transitions (nobody else is doing it).
        mutating func takeDeliveryDuty() -> Bool {
            guard !undelivered.isEmpty, !delivering else { return false }
            delivering = true
            return true
        }

        /// The transitions to report next; an empty answer ends the caller's delivery duty.
        mutating func takeUndelivered() -> [(from: State, to: State)] {
            let batch = undelivered
            undelivered.removeAll()
            if batch.isEmpty { delivering = false }
            return batch
        }
    }

    /// Reports transitions outside the lock until none are left, including any another thread adds meanwhile.
    func deliverTransitions() {
        while true {
            let batch = machine.withLock { $0.takeUndelivered() }
            if batch.isEmpty { return }
            for transition in batch { onTransition(transition.from, transition.to) }
        }
    }
}
