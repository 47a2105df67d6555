import Foundation
import TestProcesses

/// Another PostgreSQL session (a `psql` process) holding tenant rows locked: `SELECT … FOR UPDATE` in a transaction
/// kept open for a minute, or until ``release()``.
final class RowLockHolder {
    private let process: ChildProcess
    private let stack: TestWhatsAppStack
    /// The session's `application_name`, unique to this holder: how it is found in `pg_stat_activity`.
    private let name = "tw-row-lock-\(UInt32.random(in: 0...UInt32.max))"

    /// Locks the rows of `tenants` in `stack`'s database, and returns once the session holds them.
    init(_ tenants: [String], in stack: TestWhatsAppStack) throws {
        self.stack = stack
        let ids = tenants.map { "'\($0)'" }.joined(separator: ", ")
        process = try ChildProcess(
            arguments: [
                try TestPostgres.program("psql"), "-X", "-q", "-d", stack.databaseURL, "-c",
                "BEGIN; SELECT id FROM tenants WHERE id IN (\(ids)) FOR UPDATE; SELECT pg_sleep(60); COMMIT;",
            ],
            environment: ["PGAPPNAME": name])
        do {
            try Wait.until("the other session holds the rows") {
                try stack.psql(
                    """
                    SELECT count(*) FROM pg_stat_activity
                    WHERE application_name = '\(name)' AND wait_event = 'PgSleep'
                    """) == "1"
            }
        } catch {
            release()
            throw error
        }
    }

    /// Ends the session's transaction (psql then exits on its own) and waits for the process.
    func release() {
        _ = try? stack.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(name)'")
        process.terminate()
    }
}
