/// What the holder of a lease knows about it: until when it is surely still its own, and whether a renewal found it
/// gone. Pure: ``LeaseKeeper``'s thread tells it each renewal's outcome, the flow asks it before each step.
///
/// Times are the holder's monotonic clock. A renewal extends the lease to PostgreSQL's `now()` plus the duration,
/// and PostgreSQL's `now()` is later than the instant the renewal was sent, so the lease surely lasts until that
/// instant plus the duration: the term counts from when the statement was sent, never from its answer.
struct LeaseTerm: Sendable, Equatable {
    let settings: LeaseSettings
    /// Until when the lease is surely the holder's (the lease may last longer, never shorter).
    private(set) var securedUntil: ContinuousClock.Instant
    /// A renewal found the lease gone; nothing brings it back.
    private(set) var isTakenOver = false
    /// The last renewal failed (it is tried again sooner).
    private(set) var lastRenewalFailed = false

    /// The term of a lease taken by a statement sent at `acquiredAt`.
    init(acquiredAt: ContinuousClock.Instant, settings: LeaseSettings) {
        self.settings = settings
        securedUntil = acquiredAt + settings.duration
    }

    /// A renewal sent at `sentAt` extended the lease.
    mutating func renewed(sentAt: ContinuousClock.Instant) {
        guard !isTakenOver else { return }
        securedUntil = max(securedUntil, sentAt + settings.duration)
        lastRenewalFailed = false
    }

    /// A renewal found the lease no longer the holder's.
    mutating func foundGone() {
        isTakenOver = true
    }

    /// A renewal failed without an answer about the lease (PostgreSQL unreachable, the row locked, the pool busy).
    mutating func renewalFailed() {
        lastRenewalFailed = true
    }

    /// Why the holder must stop at `now`, or nil while the lease is surely its own for ``LeaseSettings/safetyMargin``
    /// more.
    func loss(at now: ContinuousClock.Instant) -> LeaseLoss? {
        if isTakenOver { return .takenOver }
        return now + settings.safetyMargin >= securedUntil ? .unconfirmed : nil
    }

    /// How long the keeper waits before the next renewal: sooner after a failure.
    var pauseBeforeNextRenewal: Duration {
        lastRenewalFailed ? settings.retryInterval : settings.renewalInterval
    }
}
