import Logging
import Postgres
import Runtime

/// Delivers the outbox's events to `EVENTS_WEBHOOK_URL` from threads of its own, never on a request's path
/// (docs/event-webhooks.md).
///
/// - One **dispatcher** thread claims due events (``EventOutbox/claim(limit:)``: the oldest pending event of each
///   tenant, skipping rows another process holds) while fewer than `EVENTS_CONCURRENCY` are in flight, hands them to
///   the senders, and records each result. Its statements run on a connection of its own (a pool of one), never one
///   of the request pool.
/// - `EVENTS_CONCURRENCY` **sender** threads each make one attempt at a time (``EventWebhookSender``).
/// - One **listener** thread keeps a second connection of its own in `LISTEN tenant_whatsapp_events`: a committed
///   event wakes the dispatcher at once, so an idle outbox costs no polling. The dispatcher also looks again when
///   the next retry is due, and at least every ``safetyPoll`` (a notification lost while that connection was down).
///
/// A result that cannot be recorded (PostgreSQL away) is kept and recorded once PostgreSQL answers; if the process
/// dies first, the event's lease passes and it is attempted again: delivery is at least once.
final class EventWebhookDispatcher: Sendable {
    /// The longest the dispatcher waits without looking at the outbox.
    static let safetyPoll = Duration.seconds(30)
    /// The wait before trying PostgreSQL again after a failure.
    static let reconnectDelay = Duration.seconds(1)

    private struct State {
        /// Claimed events waiting for a sender.
        var jobs: [OutboxEvent] = []
        /// Attempts made, waiting to be recorded.
        var results: [EventDeliveryResult] = []
        /// Events claimed and not yet recorded (queued, being attempted, or waiting to be recorded).
        var inFlight = 0
        /// A notification arrived since the dispatcher last looked.
        var notified = false
    }

    private let state = ConditionLock(State())
    private let settings: EventWebhookSettings
    private let outbox: EventOutbox
    private let listenerConnectionString: String
    private let logger: Logger

    /// A dispatcher recording through `pool` (give it a pool of its own, size 1) and listening on a connection of
    /// its own to `connectionString`. Nothing runs before ``start()``.
    init(settings: EventWebhookSettings, pool: PostgresPool, connectionString: String, logger: Logger) {
        self.settings = settings
        self.outbox = EventOutbox(pool: pool)
        self.listenerConnectionString = connectionString
        self.logger = logger
    }

    /// Starts the threads; they live as long as the process.
    func start() throws(ThreadStartError) {
        for _ in 0..<settings.concurrency {
            try Threads.detach { [self] in send() }
        }
        try Threads.detach { [self] in listen() }
        try Threads.detach { [self] in dispatch() }
    }

    // MARK: - Dispatcher

    // The threads' loops only call functions kept out of line (`@inline(never)`): with their bodies inlined, the
    // release build's loop-invariant code motion ran for more than half an hour on them (Swift 6.3.1).

    private func dispatch() {
        var outboxUnreachable = false
        var lastSweep = ContinuousClock.now
        while true {
            outboxUnreachable = dispatchRound(outboxWasUnreachable: outboxUnreachable)
            if ContinuousClock.now - lastSweep >= Self.safetyPoll {
                lastSweep = .now
                sweepOrphanedHeads()
            }
        }
    }

    /// The outbox's safety net (``EventOutbox/unblockOrphanedHeads()``); a failure waits for the next one.
    @inline(never)
    private func sweepOrphanedHeads() {
        do {
            let unblocked = try outbox.unblockOrphanedHeads()
            if unblocked > 0 {
                logger.info("event webhooks: blocked events made due", metadata: ["events": "\(unblocked)"])
                wake()
            }
        } catch {
            logger.debug("event webhooks: the blocked events were not swept", metadata: ["error": "\(error)"])
        }
    }

    /// Records the results waiting, claims what is due and waits for more work; true when the outbox was unreachable
    /// (logged once, until it answers again).
    @inline(never)
    private func dispatchRound(outboxWasUnreachable: Bool) -> Bool {
        do {
            try recordResults()
            let claim = try claimDueEvents()
            if outboxWasUnreachable { logger.info("event webhooks: PostgreSQL answers again") }
            switch claim {
            case .more:
                break
            case .sendersBusy:
                waitForWork(upTo: Self.safetyPoll)
            case .noneDue:
                let (wait, paused) = try outbox.nextDue()
                waitForWork(upTo: paused ? Self.safetyPoll : min(wait ?? Self.safetyPoll, Self.safetyPoll))
            }
            return false
        } catch {
            if !outboxWasUnreachable {
                logger.warning(
                    "event webhooks: the outbox is unreachable; retrying every second",
                    metadata: ["error": .string(error.description)])
            }
            Pause.for(Self.reconnectDelay)
            return true
        }
    }

    /// Records every result waiting; one that cannot be written stays for the next round (and is rethrown).
    @inline(never)
    private func recordResults() throws(PostgresError) {
        let results = state.withLock { state in
            defer { state.results = [] }
            return state.results
        }
        for (index, result) in results.enumerated() {
            do {
                try outbox.record(result)
            } catch {
                state.withLock { $0.results.insert(contentsOf: results[index...], at: 0) }
                throw error
            }
            state.withLock { $0.inFlight -= 1 }
            log(result)
        }
    }

    /// What ``claimDueEvents()`` found.
    private enum Claim {
        /// It claimed as many as it asked for: there may be more.
        case more
        /// Every sender is busy.
        case sendersBusy
        /// Fewer events were due than senders free.
        case noneDue
    }

    /// Claims as many due events as there are free senders.
    @inline(never)
    private func claimDueEvents() throws(PostgresError) -> Claim {
        let free = state.withLock { state in
            state.notified = false
            return settings.concurrency - state.inFlight
        }
        guard free > 0 else { return .sendersBusy }
        let events = try outbox.claim(limit: free)
        guard !events.isEmpty else { return .noneDue }
        state.withLockNotifying { state in
            state.jobs += events
            state.inFlight += events.count
        }
        return events.count == free ? .more : .noneDue
    }

    /// Waits until a result is to be recorded, a notification arrived, or `timeout` passed.
    @inline(never)
    private func waitForWork(upTo timeout: Duration) {
        _ = state.wait(until: .now + max(timeout, .milliseconds(1))) { state in
            !state.results.isEmpty || state.notified ? true : nil
        }
    }

    @inline(never)
    private func log(_ result: EventDeliveryResult) {
        EventWebhookMetrics.record(result)
        let metadata: Logger.Metadata = [
            "eventId": .string(result.event.eventID), "type": .string(result.event.type),
            "tenantId": .string(result.event.tenantID), "attempt": "\(result.event.attempts)",
            "status": .string(result.status.map { String($0) } ?? ""), "error": .string(result.error ?? ""),
            "durationMs": "\(Int((result.duration / .milliseconds(1)).rounded()))",
        ]
        switch result.next {
        case .delivered:
            logger.debug("event delivered", metadata: metadata)
        case .retry(let delay):
            var retrying = metadata
            retrying["retryInMs"] = "\(Int((delay / .milliseconds(1)).rounded()))"
            logger.info("event delivery failed; it will be retried", metadata: retrying)
        case .dead:
            logger.error("event delivery failed for the last time: the event is dead", metadata: metadata)
        case .paused:
            logger.critical(
                """
                the event endpoint answered 410 Gone: every event delivery is paused until \
                `tenant-whatsapp events resume`
                """, metadata: metadata)
        }
    }

    // MARK: - Senders

    private func send() {
        let sender: EventWebhookSender
        do {
            sender = try EventWebhookSender(settings: settings)
        } catch {
            logger.error("event webhooks: a sender thread has no HTTP client", metadata: ["error": "\(error)"])
            return
        }
        while true {
            sendNext(with: sender)
        }
    }

    /// Waits for a claimed event, attempts it and hands the result to the dispatcher.
    @inline(never)
    private func sendNext(with sender: EventWebhookSender) {
        let event = state.wait(until: nil) { state in
            state.jobs.isEmpty ? nil : state.jobs.removeFirst()
        }
        guard let event else { return }
        let result = sender.deliver(event)
        state.withLockNotifying { $0.results.append(result) }
    }

    // MARK: - Listener

    private func listen() {
        var failures = 0
        while true {
            let (error, listened) = listenUntilConnectionLost(afterFailures: failures)
            if listened || failures == 0 {
                logger.warning(
                    "event webhooks: cannot listen for new events; the outbox is polled every 30 s meanwhile",
                    metadata: ["error": .string(error.description)])
            }
            failures = listened ? 1 : failures + 1
            Pause.for(Self.reconnectDelay)
        }
    }

    /// Listens on a new connection, waking the dispatcher at each notification, until the connection fails; returns
    /// why, and whether it had been listening (false: it could not connect or listen at all).
    @inline(never)
    private func listenUntilConnectionLost(afterFailures failures: Int) -> (PostgresError, listened: Bool) {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(connectionString: listenerConnectionString)
            try connection.listen(EventOutbox.channel)
        } catch {
            return (error, false)
        }
        if failures > 0 { logger.info("event webhooks: listening for new events again") }
        // Whatever was announced while no connection listened is looked for now.
        wake()
        while true {
            do {
                if try !connection.waitForNotifications(upTo: Self.safetyPoll).isEmpty { wake() }
            } catch {
                return (error, true)
            }
        }
    }

    @inline(never)
    private func wake() {
        state.withLockNotifying { $0.notified = true }
    }
}
