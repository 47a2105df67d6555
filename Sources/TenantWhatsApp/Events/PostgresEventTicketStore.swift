import Postgres

/// ``EventTicketStore`` on the process's PostgreSQL pool: one statement per call.
struct PostgresEventTicketStore: EventTicketStore {
    let pool: PostgresPool

    /// The most expired tickets one issue deletes: purging stays a small, bounded part of each insert.
    static let purgeBatch = 100

    func issue(digest: String, for tenant: TenantID, lifetime: Duration) throws(PostgresError) -> String? {
        // Expired rows another session is deleting right now are skipped, never waited for.
        let rows = try pool.query(
            """
            WITH purged AS (
                DELETE FROM whatsapp_event_tickets WHERE ticket_sha256 IN (
                    SELECT ticket_sha256 FROM whatsapp_event_tickets WHERE expires_at < now()
                    ORDER BY expires_at LIMIT \(Self.purgeBatch) FOR UPDATE SKIP LOCKED)
            )
            INSERT INTO whatsapp_event_tickets (ticket_sha256, tenant_id, expires_at)
            SELECT decode($1::text, 'hex'), id, now() + $3::bigint * interval '1 millisecond'
            FROM tenants WHERE id = $2::text
            RETURNING \(SQLTime.iso("expires_at")) AS expires_at
            """, [digest, tenant.rawValue, String(Int(lifetime / .milliseconds(1)))])
        return rows.first?["expires_at"]
    }

    func find(digest: String) throws(PostgresError) -> EventTicket? {
        let rows = try pool.query(
            """
            SELECT tenant_id, expires_at > now() AS live FROM whatsapp_event_tickets
            WHERE ticket_sha256 = decode($1::text, 'hex')
            """, [digest], retryOnConnectionLoss: true)
        guard let row = rows.first, let tenant = row["tenant_id"] else { return nil }
        return EventTicket(tenant: tenant, isLive: row["live"] == "t")
    }
}
