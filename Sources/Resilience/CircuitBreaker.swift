import Runtime

/// Answers calls to a dependency fast while it is down: closed → open after consecutive failures → one probe
/// (half-open) after a cool-down → closed again when the probe succeeds.
///
/// Safe to share between any number of threads; nothing blocks except for the breaker's own short lock, so a refused
/// caller learns it at once (and can answer 503 with `Retry-After`).
///
/// - Closed: every call is admitted. `failureThreshold` failures in a row open the breaker; a success resets the run.
/// - Open: every call is refused with the time left until the cool-down ends. The first caller after that is admitted
///   as the one probe, which moves the breaker to half-open.
/// - Half-open: while the probe is in flight everyone else is refused with ``probeRetryAfter``. The probe's success
///   closes the breaker, its failure opens it for a fresh cool-down, a neutral outcome frees the probe slot for the
///   next caller.
///
/// Outcomes of calls admitted before the latest change of state are ignored: a slow call that started while the
/// breaker was closed cannot reopen it, or close it, after it opened.
public final class CircuitBreaker: Sendable {
    /// Failures in a row, while closed, that open the breaker.
    public let failureThreshold: Int
    /// How long the breaker stays open before it admits a probe.
    public let cooldown: Duration
    /// What callers are told to wait while a probe is in flight: the probe's answer is usually that close.
    public static let probeRetryAfter: Duration = .seconds(1)

    /// The clock cool-downs are measured on.
    let now: @Sendable () -> ContinuousClock.Instant
    /// Told of each transition, outside the lock, in order.
    let onTransition: TransitionHandler
    /// Everything that changes, behind the one lock.
    let machine: ConditionLock<Machine>

    /// A closed breaker.
    ///
    /// `failureThreshold` must be at least 1 and `cooldown` not negative (a programming error otherwise). `now` is the
    /// clock cool-downs are measured on (injected by tests). `onTransition` is called once per change of ``state``,
    /// in order, never with the breaker's lock held (so it may log or read ``state``); it may run on the thread of a
    /// caller other than the one whose call caused the change.
    public init(
        failureThreshold: Int,
        cooldown: Duration,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        onTransition: @escaping TransitionHandler = { _, _ in }
    ) {
        precondition(failureThreshold >= 1, "a circuit breaker needs a failure threshold of at least 1")
        precondition(cooldown >= .zero, "a circuit breaker's cool-down cannot be negative")
        self.failureThreshold = failureThreshold
        self.cooldown = cooldown
        self.now = now
        self.onTransition = onTransition
        self.machine = ConditionLock(Machine(threshold: failureThreshold, cooldown: cooldown))
    }

    /// The state the breaker last changed to.
    ///
    /// A breaker stays `open` after its cool-down has passed until a caller is admitted as the probe: only then does
    /// it report `halfOpen` (and call `onTransition`). So `open` means "calls are refused now or the next caller
    /// probes", `halfOpen` means "a probe is deciding".
    public var state: State {
        machine.withLock { $0.phase.state }
    }

    /// Asks to make one call: either a permit, which must be finished with the call's outcome, or a refusal with how
    /// long to wait before asking again.
    ///
    /// `retryAfter` is exact (round it up to whole seconds for `Retry-After`); it is always above zero.
    public func admit() -> Admission {
        let instant = now()
        let (decision, delivers) = machine.withLock { machine in
            (machine.admit(at: instant), machine.takeDeliveryDuty())
        }
        if delivers { deliverTransitions() }
        switch decision {
        case .allowed(let ticket): return .allowed(Permit(breaker: self, ticket: ticket))
        case .refused(let retryAfter): return .refused(retryAfter: retryAfter)
        }
    }

    /// Applies the outcome of the call `ticket` admitted; called once per permit, by the permit.
    func finish(_ ticket: Ticket, _ outcome: CallOutcome) {
        let instant = now()
        let delivers = machine.withLock { machine in
            machine.finish(ticket, outcome, at: instant)
            return machine.takeDeliveryDuty()
        }
        if delivers { deliverTransitions() }
    }
}

extension CircuitBreaker {
    /// Told of each change of ``CircuitBreaker/state``, with the state before and after it.
    public typealias TransitionHandler = @Sendable (_ from: State, _ to: State) -> Void

    /// The state of a breaker, as ``state`` reports it; the raw values are what a readiness body shows.
    public enum State: String, Sendable {
        /// Calls are admitted.
        case closed
        /// Calls are refused until the cool-down ends and a probe is admitted.
        case open
        /// One probe is in flight, or its slot was freed by a neutral outcome; everyone else is refused.
        case halfOpen = "half_open"
    }

    /// What an admitted call proved about the dependency.
    public enum CallOutcome: Sendable, Equatable {
        /// The dependency answered as a working dependency does (including a 4xx about the request itself).
        case success
        /// The dependency looked down: refused connection, timeout, 5xx, a broken body.
        case failure
        /// The call proved nothing either way, e.g. it was abandoned locally because the client left.
        case neutral
    }
}
