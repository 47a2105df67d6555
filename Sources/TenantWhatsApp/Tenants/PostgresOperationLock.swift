import HTTPServer
import Postgres

/// ``OperationLock`` as a lease on the tenant's row: an owner and an expiry, taken and released by single
/// statements, so no connection stays pinned while Evolution works and a killed responder's lease runs out.
///
/// Expiry is PostgreSQL's `now()`, never a host clock: hosts drift, the database is the one clock all share.
struct PostgresOperationLock: OperationLock {
    let pool: PostgresPool

    func acquire(_ tenant: TenantID, for duration: Duration) throws(PostgresError) -> OperationLockAttempt {
        let owner = RequestID.generate()
        // A retry after a lost connection finds its own lease (the first attempt may have committed) and keeps it.
        // A row locked by another session is not waited for beyond the session's `lock_timeout` (50 ms): the tenant is
        // busy, the same answer as a lease someone holds.
        let rows: PostgresRows
        do {
            rows = try pool.query(
                """
                UPDATE tenants SET operation_owner = $2::text,
                    operation_expires_at = now() + $3::bigint * interval '1 millisecond'
                WHERE id = $1::text
                    AND (operation_expires_at IS NULL OR operation_expires_at < now() OR operation_owner = $2::text)
                RETURNING 1 AS taken
                """, [tenant.rawValue, owner, Self.milliseconds(duration)],
                retryOnConnectionLoss: true)
        } catch  where error.isLockNotAvailable {
            return .held
        }
        if rows.first != nil { return .acquired(OperationLease(tenant: tenant, owner: owner)) }
        let exists = try pool.query(
            "SELECT 1 AS found FROM tenants WHERE id = $1", [tenant.rawValue], retryOnConnectionLoss: true)
        return exists.first == nil ? .noSuchTenant : .held
    }

    func renew(_ lease: OperationLease, for duration: Duration) throws(PostgresError) -> Bool {
        // Only the holder's own row: an owner that changed (released, or taken over once the lease had run out)
        // means the lease is gone, and stays gone. NOWAIT, whatever the session's lock_timeout: a row someone else
        // has locked is a failed renewal at once (the keeper tries again a second later), never a wait that holds a
        // pooled connection. Idempotent, so a lost connection is retried.
        let rows = try pool.query(
            """
            UPDATE tenants SET operation_expires_at = now() + $3::bigint * interval '1 millisecond'
            WHERE id = (SELECT id FROM tenants WHERE id = $1::text AND operation_owner = $2::text FOR UPDATE NOWAIT)
            RETURNING 1 AS renewed
            """, [lease.tenant.rawValue, lease.owner, Self.milliseconds(duration)], retryOnConnectionLoss: true)
        return rows.first != nil
    }

    func release(_ lease: OperationLease) {
        // A failure here costs nothing but time: the lease runs out by itself.
        _ = try? pool.query(
            """
            UPDATE tenants SET operation_owner = NULL, operation_expires_at = NULL
            WHERE id = $1::text AND operation_owner = $2::text
            """, [lease.tenant.rawValue, lease.owner], retryOnConnectionLoss: true)
    }

    /// `duration` as whole milliseconds (rounded up), the text of a `bigint` parameter.
    private static func milliseconds(_ duration: Duration) -> String {
        String(Int((duration / .milliseconds(1)).rounded(.up)))
    }
}
