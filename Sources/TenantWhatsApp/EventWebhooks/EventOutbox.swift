import Postgres

/// The outbox of events to the SaaS backend (`whatsapp_event_outbox`, sql/migrations/0013_event_outbox.sql), as the
/// delivering processes use it. Every statement runs on PostgreSQL's clock, so processes on several hosts agree.
struct EventOutbox: Sendable {
    /// The channel every new event is announced on (at commit).
    static let channel = "tenant_whatsapp_events"
    /// How long a claimed event is held by its process: longer than an attempt's 10 s, so only a process that died
    /// mid-attempt loses it, and another takes it then.
    static let leaseSeconds = 30

    let pool: PostgresPool

    /// The oldest pending event of the tenant of row `o`: one probe of the index on (tenant_id, id) per row, whatever
    /// the planner estimates (a join of the pending rows with their heads, misestimated on a table that grew since
    /// its last ANALYZE, went quadratic: 1,000 pending events, 380 ms a claim).
    static let tenantsOldestPending = """
        SELECT min(e.id) FROM whatsapp_event_outbox e WHERE e.tenant_id = o.tenant_id AND e.state = 'pending'
        """

    /// Claims up to `limit` events that are due, each the oldest pending event of its tenant (a tenant's event is
    /// never delivered before the earlier ones were delivered or given up), counting the attempt; none while
    /// delivery is paused (410). Rows another process holds are skipped, never waited for.
    func claim(limit: Int) throws(PostgresError) -> [OutboxEvent] {
        let rows = try pool.query(
            """
            WITH due AS (
                SELECT o.id AS due_id FROM whatsapp_event_outbox o
                WHERE o.state = 'pending' AND o.next_attempt_at <= now()
                    AND (o.leased_until IS NULL OR o.leased_until <= now())
                    AND o.id = (\(Self.tenantsOldestPending))
                    AND NOT EXISTS (SELECT 1 FROM whatsapp_event_delivery WHERE paused_at IS NOT NULL)
                ORDER BY o.next_attempt_at, o.id
                LIMIT $1::integer
                FOR UPDATE OF o SKIP LOCKED
            )
            UPDATE whatsapp_event_outbox o
            SET attempts = o.attempts + 1, leased_until = now() + make_interval(secs => $2::integer),
                last_attempt_at = now()
            FROM due WHERE o.id = due.due_id
            RETURNING \(OutboxEvent.columns)
            """, [String(limit), String(Self.leaseSeconds)], retryOnConnectionLoss: true)
        return rows.compactMap(OutboxEvent.init(row:)).sorted { $0.id < $1.id }
    }

    /// How long until the next event may be due (nil: none pending but blocked ones), and whether delivery is paused.
    ///
    /// The first head in claim order whose lease is not held: a head held by another process is that process's to
    /// record (if it died, the safety poll finds the event once the lease passed).
    func nextDue() throws(PostgresError) -> (wait: Duration?, paused: Bool) {
        let rows = try pool.query(
            """
            SELECT (extract(epoch FROM (
                    SELECT o.next_attempt_at FROM whatsapp_event_outbox o
                    WHERE o.state = 'pending' AND o.next_attempt_at < 'infinity'
                        AND (o.leased_until IS NULL OR o.leased_until <= now())
                        AND o.id = (\(Self.tenantsOldestPending))
                    ORDER BY o.next_attempt_at, o.id LIMIT 1
                ) - now()) * 1000)::bigint AS wait_ms,
                (SELECT paused_at IS NOT NULL FROM whatsapp_event_delivery) AS paused
            """, retryOnConnectionLoss: true)
        let row = rows.first
        let wait = row?["wait_ms"].flatMap { Int64($0) }.map { Duration.milliseconds(max(0, $0)) }
        return (wait, row?["paused"] == "t")
    }

    /// Records how an attempt ended. False when the event was no longer pending (re-queued or purged meanwhile).
    @discardableResult
    func record(_ result: EventDeliveryResult) throws(PostgresError) -> Bool {
        let id = String(result.event.id)
        let status = result.status.map { String($0) }
        let rows: PostgresRows
        switch result.next {
        case .delivered:
            return try finish(result, state: "delivered", error: nil)
        case .retry(let delay):
            rows = try pool.query(
                """
                UPDATE whatsapp_event_outbox
                SET next_attempt_at = now() + make_interval(secs => $4::double precision), leased_until = NULL,
                    last_status = $2::integer, last_error = $3
                WHERE id = $1::bigint AND state = 'pending'
                """,
                [id, status, result.error, String(Double(delay / .milliseconds(1)) / 1000)],
                retryOnConnectionLoss: true)
        case .dead:
            return try finish(result, state: "dead", error: result.error)
        case .paused:
            // 410 Gone: delivery stops until `events resume`; this attempt does not use up the schedule.
            rows = try pool.query(
                """
                WITH pause AS (
                    UPDATE whatsapp_event_delivery SET paused_at = now(), paused_event_id = $3
                    WHERE paused_at IS NULL
                )
                UPDATE whatsapp_event_outbox
                SET attempts = greatest(attempts - 1, 0), leased_until = NULL, next_attempt_at = now(),
                    last_status = $2::integer, last_error = 'the endpoint answered 410 Gone: delivery paused'
                WHERE id = $1::bigint AND state = 'pending'
                """, [id, status, result.event.eventID], retryOnConnectionLoss: true)
        }
        return rows.affectedRowCount == 1
    }

    /// Ends an event (`delivered` or `dead`) and makes the tenant's next pending event due, in one transaction that
    /// first takes the tenant's row FOR SHARE: an event being appended for that tenant (under its row lock,
    /// sql/migrations/0013_event_outbox.sql) is committed before, and unblocked here, or appended after, and due at
    /// once. Waits up to 5 s for the row (the pool's sessions wait 50 ms).
    private func finish(_ result: EventDeliveryResult, state: String, error: String?) throws(PostgresError) -> Bool {
        let id = String(result.event.id)
        return try pool.transaction { connection throws(PostgresError) in
            try connection.query(
                """
                SELECT set_config('lock_timeout', '5s', true),
                    (SELECT 1 FROM tenants WHERE id = $1::text FOR SHARE)
                """, [result.event.tenantID])
            // A statement of its own, so that it sees what was committed before the lock was granted.
            let finished = try connection.query(
                """
                WITH finished AS (
                    UPDATE whatsapp_event_outbox
                    SET state = $2::text, finished_at = now(), leased_until = NULL, last_status = $3::integer,
                        last_error = $4::text
                    WHERE id = $1::bigint AND state = 'pending'
                    RETURNING id
                ), unblocked AS (
                    UPDATE whatsapp_event_outbox SET next_attempt_at = now()
                    WHERE id = (
                        SELECT min(id) FROM whatsapp_event_outbox
                        WHERE tenant_id = $5::text AND state = 'pending' AND id <> $1::bigint
                    ) AND next_attempt_at = 'infinity'
                )
                SELECT count(*) AS finished FROM finished
                """, [id, state, result.status.map { String($0) }, error, result.event.tenantID])
            return finished.first?["finished"] == "1"
        }
    }

    /// Makes due every blocked event whose tenant has no earlier pending event any more; returns how many. Nothing
    /// normally (``finish(_:state:error:)`` unblocks the next event), but events re-queued by `events retry` are
    /// blocked without the tenant's lock, and this is the safety net the dispatcher runs every
    /// ``EventWebhookDispatcher/safetyPoll``.
    @discardableResult
    func unblockOrphanedHeads() throws(PostgresError) -> Int {
        // The deliverers of every process are woken when something was made due.
        let rows = try pool.query(
            """
            WITH unblocked AS (
                UPDATE whatsapp_event_outbox o SET next_attempt_at = now()
                WHERE o.state = 'pending' AND o.next_attempt_at = 'infinity' AND o.id = (\(Self.tenantsOldestPending))
                RETURNING o.id
            )
            SELECT count(*) AS unblocked,
                CASE WHEN count(*) > 0 THEN pg_notify('\(Self.channel)', '') END
            FROM unblocked
            """, retryOnConnectionLoss: true)
        return rows.first?["unblocked"].flatMap { Int($0) } ?? 0
    }

    /// The figures `/api/metrics` shows: pending events, the age of the oldest, and whether delivery is paused.
    func statistics() throws(PostgresError) -> EventOutboxStatistics {
        let rows = try pool.query(
            """
            SELECT count(*) AS pending,
                coalesce(extract(epoch FROM now() - min(created_at)), 0)::double precision AS oldest_seconds,
                (SELECT paused_at IS NOT NULL FROM whatsapp_event_delivery) AS paused
            FROM whatsapp_event_outbox WHERE state = 'pending'
            """, retryOnConnectionLoss: true)
        let row = rows.first
        return EventOutboxStatistics(
            pending: row?["pending"].flatMap { Int($0) } ?? 0,
            oldestPendingSeconds: row?["oldest_seconds"].flatMap { Double($0) } ?? 0,
            paused: row?["paused"] == "t")
    }
}

/// What ``EventOutbox/statistics()`` reads.
struct EventOutboxStatistics: Sendable, Equatable {
    let pending: Int
    let oldestPendingSeconds: Double
    let paused: Bool
}
