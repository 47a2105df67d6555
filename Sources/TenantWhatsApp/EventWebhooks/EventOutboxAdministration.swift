import Postgres

/// What the `tenant-whatsapp events` commands do to the outbox (docs/event-webhooks.md, "Operations").
public struct EventOutboxAdministration: Sendable {
    /// The retention `events purge` uses without `--older-than`.
    public static let defaultRetention = Duration.seconds(7 * 86_400)

    let pool: PostgresPool

    /// A re-queued event `o` is due now, unless an earlier event of its tenant is pending: it then waits its turn
    /// (sql/migrations/0013_event_outbox.sql). The outbox's safety net makes it due if that turn passed meanwhile.
    private static let dueUnlessBlocked = """
        CASE WHEN EXISTS (
            SELECT 1 FROM whatsapp_event_outbox e WHERE e.tenant_id = o.tenant_id AND e.state = 'pending' AND e.id < o.id
        ) THEN 'infinity'::timestamptz ELSE now() END
        """

    /// Administration through `pool`.
    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The newest `limit` events (of `tenant`, and only dead ones with `deadOnly`), oldest first.
    public func list(tenant: String?, deadOnly: Bool, limit: Int) throws(PostgresError) -> [EventOutboxRow] {
        let rows = try pool.query(
            """
            SELECT * FROM (
                SELECT id, event_id, type, tenant_id, status, reason, state, attempts,
                    \(SQLTime.iso("created_at")) AS created_at,
                    CASE WHEN state = 'pending' THEN \(SQLTime.iso("next_attempt_at")) END AS next_attempt_at,
                    \(SQLTime.iso("finished_at")) AS finished_at, last_status, last_error
                FROM whatsapp_event_outbox
                WHERE ($1::text IS NULL OR tenant_id = $1::text) AND (NOT $2::boolean OR state = 'dead')
                ORDER BY id DESC LIMIT $3::integer
            ) newest ORDER BY id
            """, [tenant, deadOnly ? "true" : "false", String(limit)])
        return rows.map { row in
            EventOutboxRow(
                eventID: row["event_id"] ?? "", type: row["type"] ?? "", tenantID: row["tenant_id"] ?? "",
                status: row["status"] ?? "", reason: row["reason"], state: row["state"] ?? "",
                attempts: row["attempts"].flatMap { Int($0) } ?? 0, createdAt: row["created_at"] ?? "",
                nextAttemptAt: row["next_attempt_at"], finishedAt: row["finished_at"],
                lastStatus: row["last_status"].flatMap { Int($0) }, lastError: row["last_error"])
        }
    }

    /// Queues the event `eventID` again, due now: a dead or delivered one with its attempts counted from zero, a
    /// pending one without waiting for its next retry. False when there is no such event.
    public func retry(eventID: String) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            """
            WITH requeued AS (
                UPDATE whatsapp_event_outbox o
                SET attempts = CASE WHEN o.state = 'pending' THEN o.attempts ELSE 0 END, state = 'pending',
                    finished_at = NULL, next_attempt_at = \(Self.dueUnlessBlocked)
                WHERE o.event_id = $1::text
                RETURNING o.id
            )
            SELECT count(*) AS requeued, pg_notify('\(EventOutbox.channel)', '') FROM requeued
            """, [eventID])
        try EventOutbox(pool: pool).unblockOrphanedHeads()
        return rows.first?["requeued"] == "1"
    }

    /// Queues every dead event again, attempts counted from zero; returns how many.
    public func retryDead() throws(PostgresError) -> Int {
        let rows = try pool.query(
            """
            WITH requeued AS (
                UPDATE whatsapp_event_outbox o
                SET attempts = 0, state = 'pending', finished_at = NULL, next_attempt_at = 'infinity'
                WHERE o.state = 'dead'
                RETURNING o.id
            )
            SELECT count(*) AS requeued, pg_notify('\(EventOutbox.channel)', '') FROM requeued
            """)
        // Each tenant's oldest re-queued event is due at once, the others wait their turn.
        try EventOutbox(pool: pool).unblockOrphanedHeads()
        return rows.first?["requeued"].flatMap { Int($0) } ?? 0
    }

    /// Lifts the pause a 410 Gone set; returns the event that met it, or nil when delivery was not paused.
    public func resume() throws(PostgresError) -> EventOutboxPause? {
        let rows = try pool.query(
            """
            WITH paused AS (
                SELECT paused_event_id, \(SQLTime.iso("paused_at")) AS paused_at FROM whatsapp_event_delivery
                WHERE paused_at IS NOT NULL FOR UPDATE
            ), resumed AS (
                UPDATE whatsapp_event_delivery SET paused_at = NULL, paused_event_id = NULL
                WHERE paused_at IS NOT NULL
            )
            SELECT paused_event_id, paused_at, pg_notify('\(EventOutbox.channel)', '') FROM paused
            """)
        return rows.first.map { EventOutboxPause(eventID: $0["paused_event_id"], since: $0["paused_at"] ?? "") }
    }

    /// Whether delivery is paused now (after a 410), and since when.
    public func pause() throws(PostgresError) -> EventOutboxPause? {
        let rows = try pool.query(
            """
            SELECT paused_event_id, \(SQLTime.iso("paused_at")) AS paused_at FROM whatsapp_event_delivery
            WHERE paused_at IS NOT NULL
            """)
        return rows.first.map { EventOutboxPause(eventID: $0["paused_event_id"], since: $0["paused_at"] ?? "") }
    }

    /// Deletes the delivered and dead events finished more than `age` ago; returns how many.
    public func purge(olderThan age: Duration) throws(PostgresError) -> Int {
        let rows = try pool.query(
            """
            DELETE FROM whatsapp_event_outbox
            WHERE state <> 'pending' AND finished_at < now() - make_interval(secs => $1::bigint)
            """, [String(Int64(age / .seconds(1)))])
        return rows.affectedRowCount
    }
}

/// One event as `events list` shows it: never a secret, never the endpoint's answer beyond its status.
public struct EventOutboxRow: Sendable, Equatable {
    /// The event's id (`webhook-id`).
    public let eventID: String
    /// `whatsapp.connected` and so on.
    public let type: String
    /// The tenant it is about.
    public let tenantID: String
    /// The connection's status the event carries.
    public let status: String
    /// The reason of a disconnection, when known.
    public let reason: String?
    /// `pending`, `delivered` or `dead`.
    public let state: String
    /// Attempts made since it was (re)queued.
    public let attempts: Int
    /// When the change was written, ISO 8601.
    public let createdAt: String
    /// When the next attempt is due (pending events).
    public let nextAttemptAt: String?
    /// When it was delivered or given up.
    public let finishedAt: String?
    /// The endpoint's status at the last attempt, when it answered.
    public let lastStatus: Int?
    /// Why the last attempt failed.
    public let lastError: String?
}

/// Delivery paused by a 410 Gone.
public struct EventOutboxPause: Sendable, Equatable {
    /// The event whose attempt met the 410.
    public let eventID: String?
    /// When, ISO 8601.
    public let since: String
}
