import Postgres

/// The event stream's tickets (docs/events.md): issued to a caller whose JWT may act on the tenant, looked up by the
/// nchan authorization of each subscription. Only a ticket's digest is stored.
protocol EventTicketStore: Sendable {
    /// Stores the ticket whose SHA-256 is `digest` (hex) for `tenant`, valid for `lifetime`, purging some expired
    /// ones on the way; returns when it expires (ISO 8601), or nil when the tenant does not exist.
    func issue(digest: String, for tenant: TenantID, lifetime: Duration) throws(PostgresError) -> String?

    /// The ticket whose SHA-256 is `digest`, or nil when there is none.
    func find(digest: String) throws(PostgresError) -> EventTicket?
}

/// A stored ticket as its lookup sees it.
struct EventTicket: Sendable, Equatable {
    /// The tenant it was issued for (as stored).
    let tenant: String
    /// Whether it has not expired yet, on PostgreSQL's clock.
    let isLive: Bool
}
