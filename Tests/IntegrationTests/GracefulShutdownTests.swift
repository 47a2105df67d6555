import Foundation
import Postgres
import Testing

/// SIGTERM stops accepting, lets every request in flight finish, and exits 0.
@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    @Test func requestsInFlightCompleteAfterSIGTERMAndTheProcessExitsZero() throws {
        let database = try TestPostgres.shared.createDatabase("shutdown_\(UInt32.random(in: 0...UInt32.max))")
        let stack = try TestStack.start(databaseURL: database, threads: 4)
        defer { stack.stop() }

        // Hold readiness: /api/ready reads schema_migrations, which this transaction locks.
        let blocker = try PostgresConnection(connectionString: database)
        try blocker.query("BEGIN")
        try blocker.query("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE")

        let inFlight = 3
        let responses = ResponseCollector()
        let group = DispatchGroup()
        for _ in 0..<inFlight {
            group.enter()
            DispatchQueue.global().async {
                responses.append(Result { try stack.send("GET", "/api/ready") })
                group.leave()
            }
        }

        // Synchronise on PostgreSQL itself: every request is now inside the responder, waiting for the lock.
        let observer = try PostgresConnection(connectionString: database)
        try Wait.until("\(inFlight) requests wait on the lock") {
            let rows = try observer.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenant-whatsapp' "
                    + "AND wait_event_type = 'Lock' AND datname = current_database()")
            return rows.rows.first?.first.flatMap { $0 }.flatMap { Int($0) } == inFlight
        }

        stack.responder.sendTerminate()
        try Wait.until("the responder has seen SIGTERM") {
            try stack.responder.logLines().contains {
                $0["message"] as? String == "shutting down: finishing requests in flight"
            }
        }
        #expect(stack.responder.isRunning)
        try blocker.query("COMMIT")

        group.wait()
        #expect(stack.responder.waitForExit() == 0)
        let results = responses.all()
        #expect(results.count == inFlight)
        for result in results {
            let response = try result.get()
            #expect(response.status == 200, "\(response.text)")
        }
    }
}

/// Collects results from several threads.
private final class ResponseCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<TestHTTPResponse, any Error>] = []

    func append(_ result: Result<TestHTTPResponse, any Error>) {
        lock.withLock { results.append(result) }
    }

    func all() -> [Result<TestHTTPResponse, any Error>] {
        lock.withLock { results }
    }
}
