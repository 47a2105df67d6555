import Postgres
import Testing

@testable import TenantWhatsApp

/// ``PostgresOperationLock`` on a real PostgreSQL (issue 21, item 5): a renewal extends only its holder's own lease,
/// from PostgreSQL's now; a lease released or taken over stays gone; a row another session has locked fails the
/// renewal at once instead of holding a pooled connection.
@Suite("Operation lock: PostgreSQL")
struct PostgresOperationLockTests {
    private let databaseURL: String
    private let pool: PostgresPool
    private let lock: PostgresOperationLock
    private let tenant = TenantID("t1")!

    init() throws {
        databaseURL = try TestPostgres.shared.createDatabase("lease_\(UInt32.random(in: 0...UInt32.max))")
        try TestStack.migrate(databaseURL: databaseURL)
        // No lock_timeout on these sessions: only the renewal's own NOWAIT keeps it from waiting on a locked row (a
        // statement timeout ends such a wait, so that a renewal that does wait fails the test instead of hanging it).
        pool = PostgresPool(
            connectionString: databaseURL, size: 2, borrowTimeout: .seconds(10),
            sessionSettings: ["SET statement_timeout = 3000"])
        try pool.query("INSERT INTO tenants (id) VALUES ('t1')")
        lock = PostgresOperationLock(pool: pool)
    }

    @Test func aRenewalExtendsTheHoldersLeaseToItsDurationFromNow() throws {
        let lease = try acquired(for: .seconds(1))
        #expect(try lock.renew(lease, for: .seconds(10)))
        let left = try millisecondsLeft()
        #expect(left > 9_000 && left <= 10_000, "\(left) ms left")
    }

    @Test func aLeaseTakenOverIsNotRenewedAndStaysTheNewHolders() throws {
        let lease = try acquired(for: .seconds(10))
        try pool.query("UPDATE tenants SET operation_owner = 'someone-else' WHERE id = 't1'")
        #expect(try !lock.renew(lease, for: .seconds(10)))
        #expect(
            try pool.query("SELECT operation_owner FROM tenants").value(row: 0, column: "operation_owner")
                == "someone-else")
    }

    @Test func aReleasedLeaseIsNotRenewed() throws {
        let lease = try acquired(for: .seconds(10))
        lock.release(lease)
        #expect(try !lock.renew(lease, for: .seconds(10)))
        #expect(
            try pool.query("SELECT operation_owner IS NULL AS free FROM tenants").value(row: 0, column: "free") == "t")
    }

    @Test func aRenewalOnARowAnotherSessionLockedFailsAtOnce() throws {
        let lease = try acquired(for: .seconds(10))
        let before = try millisecondsLeft()
        let other = PostgresPool(connectionString: databaseURL, size: 1, borrowTimeout: .seconds(10))
        let (outcome, elapsed) = try other.transaction { session throws(PostgresError) in
            try session.query("SELECT id FROM tenants WHERE id = 't1' FOR UPDATE")
            let started = ContinuousClock.now
            let outcome = Result { () throws(PostgresError) in try lock.renew(lease, for: .seconds(10)) }
            return (outcome, ContinuousClock.now - started)
        }
        #expect(throws: PostgresError.self) { try outcome.get() }
        if case .failure(let error) = outcome { #expect(error.isLockNotAvailable, "\(error)") }
        #expect(elapsed < .seconds(1), "answered after \(elapsed)")
        // Not extended, and still the holder's: a later renewal can extend it.
        #expect(try millisecondsLeft() <= before)
        #expect(try lock.renew(lease, for: .seconds(10)))
    }

    // MARK: - Helpers

    private func acquired(for duration: Duration) throws -> OperationLease {
        guard case .acquired(let lease) = try lock.acquire(tenant, for: duration) else {
            throw TestFailure("the free lease was not granted")
        }
        return lease
    }

    /// How long the tenant's lease has left, on PostgreSQL's clock.
    private func millisecondsLeft() throws -> Double {
        let rows = try pool.query(
            "SELECT extract(epoch FROM operation_expires_at - now()) * 1000 AS left FROM tenants WHERE id = 't1'")
        guard let text = rows.value(row: 0, column: "left"), let left = Double(text) else {
            throw TestFailure("no lease on the tenant")
        }
        return left
    }
}
