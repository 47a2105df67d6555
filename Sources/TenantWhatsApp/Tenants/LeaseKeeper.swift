import HTTPServer
import Logging
import Postgres
import Runtime

/// Keeps one held lease alive while its connect or disconnect runs, on a thread of its own: a renewal every
/// ``LeaseSettings/renewalInterval`` (sooner after a failure), each one statement on a pooled connection borrowed
/// for it alone, never held across anything else.
///
/// The flow asks ``ensureHeld()`` before each of its writes and upstream calls; once a renewal found the lease gone,
/// or none went through for so long that the lease may have run out, the flow stops there.
final class LeaseKeeper: Sendable {
    /// The lease kept.
    let lease: OperationLease
    private let lock: any OperationLock
    private let clock: FlowClock
    private let term: ConditionLock<LeaseTerm>
    private let thread = BackgroundThread()
    private let logger: Logger
    private let requestID: String

    private init(
        lease: OperationLease, acquiredAt: ContinuousClock.Instant, lock: any OperationLock, settings: LeaseSettings,
        clock: FlowClock, logger: Logger, requestID: String
    ) {
        self.lease = lease
        self.lock = lock
        self.clock = clock
        self.term = ConditionLock(LeaseTerm(acquiredAt: acquiredAt, settings: settings))
        self.logger = logger
        self.requestID = requestID
    }

    /// Starts keeping `lease`, taken by a statement sent at `acquiredAt`; nil when no thread could be started (the
    /// process is out of threads).
    static func start(
        _ lease: OperationLease, acquiredAt: ContinuousClock.Instant, lock: any OperationLock, settings: LeaseSettings,
        clock: FlowClock, logger: Logger, requestID: String
    ) -> LeaseKeeper? {
        let keeper = LeaseKeeper(
            lease: lease, acquiredAt: acquiredAt, lock: lock, settings: settings, clock: clock, logger: logger,
            requestID: requestID)
        guard keeper.thread.start({ thread in keeper.renewUntilStopped(on: thread) }) else { return nil }
        return keeper
    }

    /// Why the flow must stop now, or nil while the lease is surely its own.
    var loss: LeaseLoss? {
        let now = clock.now()
        return term.withLock { $0.loss(at: now) }
    }

    /// Throws the answer for a lease no longer surely held: 409 `operation_in_progress` when another operation took
    /// it over, 503 `database_unavailable` when no renewal went through in time.
    func ensureHeld(_ context: RequestContext) throws(APIError) {
        guard let loss else { return }
        context.logMetadata["lease"] = .string(loss.logValue)
        switch loss {
        case .takenOver: throw APIError.operationInProgress()
        case .unconfirmed: throw APIError(.databaseUnavailable, headers: APIError.retryAfter(.seconds(1)))
        }
    }

    /// Stops renewing and waits for a renewal under way (one statement, within the pool's borrow timeout): nothing
    /// renews the lease once this returns, so it can be given back.
    func stop() {
        thread.stop()
    }

    /// One renewal, now: its outcome goes into the term.
    func renew() {
        let (sentAt, duration) = (clock.now(), term.withLock { $0.settings.duration })
        do {
            let held = try lock.renew(lease, for: duration)
            term.withLock { held ? $0.renewed(sentAt: sentAt) : $0.foundGone() }
            if !held {
                logger.warning(
                    "operation lease lost: the operation stops before its next step",
                    metadata: ["requestId": .string(requestID), "tenant": .string(lease.tenant.rawValue)])
            }
        } catch {
            // One line when renewals start failing, not one a second while PostgreSQL stays away.
            let firstFailure = term.withLock { term in
                defer { term.renewalFailed() }
                return !term.lastRenewalFailed
            }
            guard firstFailure else { return }
            logger.notice(
                "operation lease not renewed; tried again every second",
                metadata: ["requestId": .string(requestID), "error": .string(error.description)])
        }
    }

    /// The thread's loop: a renewal after each pause, until stopped or the lease is gone.
    private func renewUntilStopped(on thread: BackgroundThread) {
        while thread.wait(upTo: term.withLock({ $0.pauseBeforeNextRenewal })) {
            renew()
            if term.withLock({ $0.isTakenOver }) { return }
        }
    }
}
