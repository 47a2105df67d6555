import Foundation
import Postgres
import Testing

/// SIGTERM stops accepting, lets every request in flight finish, and exits 0: with `--on-stop drain` (the default)
/// a unix socket refuses new connections at once and what is queued is answered, so the process exits even under
/// steady traffic; with `--on-stop handover` (a systemd socket unit) what is queued stays for the next process.
@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    /// What the responder logs on SIGTERM.
    private static let stoppingMessage = "shutting down: finishing requests in flight"
    /// Statements wait for locks (the sessions' 50 ms `lock_timeout` lifted): these tests hold requests inside the
    /// responder with a table lock (``ReadinessLock``).
    private static let waitingForLocks = ["DATABASE_LOCK_TIMEOUT_MS": "0"]
    /// nginx without its rate limits, for clients calling as fast as they can from one address.
    private static let unlimitedNginx = ["TW_NGINX_RATE": "100000r/s", "TW_NGINX_BURST": "100000"]

    @Test func requestsInFlightCompleteAfterSIGTERMAndTheProcessExitsZero() throws {
        let database = try TestPostgres.shared.createDatabase("shutdown_\(UInt32.random(in: 0...UInt32.max))")
        let stack = try TestStack.start(databaseURL: database, threads: 4, environment: Self.waitingForLocks)
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

    @Test func aResponderUnderSteadyTrafficStillExitsOnSIGTERM() throws {
        let database = try TestPostgres.shared.createDatabase("steady_\(UInt32.random(in: 0...UInt32.max))")
        let stack = try TestStack.start(databaseURL: database, threads: 4, nginxEnvironment: Self.unlimitedNginx)
        defer { stack.stop() }

        // Eight clients without pause: the responder's backlog never stays empty for long. Once it is gone nginx
        // cannot connect and answers its own 503 envelope; anything else (a 502, HTML, a reset) fails the test.
        let load = RequestLoad { $0.status == 200 || RequestLoad.isResponderUnavailable($0) }
        load.start(clients: 8) { _ in try stack.send("GET", "/api/health") }
        defer { _ = try? load.stop() }
        try Wait.until("the responder answered 500 requests") { load.answered(200) >= 500 }

        let signalled = Date()
        stack.responder.sendTerminate()
        try Wait.until("the responder exits under load") { !stack.responder.isRunning }
        let secondsToExit = Date().timeIntervalSince(signalled)
        let madeAtExit = load.made()
        // The load goes on after the exit: those requests get the 503 envelope, not an error.
        try Wait.until("100 more requests after the exit") { load.made() >= madeAtExit + 100 }
        let made = try load.stop()

        #expect(stack.responder.waitForExit() == 0)
        let failures = load.failures()
        #expect(failures.isEmpty, "\(failures.count) failed requests, first: \(failures.prefix(5))")
        #expect(load.answered(503) > 0)
        let stopping = try stack.responder.logLines().first { $0["message"] as? String == Self.stoppingMessage }
        #expect(stopping?["onStop"] as? String == "drain")
        #expect(stopping?["newConnections"] as? String == "refused")
        #expect(stopping?["queued"] as? String == "answered")
        print(
            "steady traffic: \(made) requests (\(load.statusCounts())), \(failures.count) failed; exited "
                + "\(String(format: "%.3f", secondsToExit)) s after SIGTERM")
    }

    @Test func aDrainingResponderRefusesNewConnectionsAndAnswersThoseQueued() throws {
        let database = try TestPostgres.shared.createDatabase("drain_\(UInt32.random(in: 0...UInt32.max))")
        try TestStack.migrate(databaseURL: database)
        let directory = try TestEnvironment.makeScratchDirectory("drain")
        defer { try? FileManager.default.removeItem(at: directory) }
        // One request at a time: the second and third connections wait in the backlog.
        let responder = try TestResponder.start(
            in: directory, environment: ["DATABASE_URL": database].merging(Self.waitingForLocks) { $1 }, threads: 1,
            maxRequests: 1)
        defer { responder.terminate() }
        let nginx = try TestNginx.start(in: directory, socketPath: responder.socketPath)
        defer { nginx.stop() }

        let lock = try ReadinessLock(database: database)
        let held = Background { try nginx.send("GET", "/api/ready") }
        try lock.waitForWaiters(1)
        let queued = Background.many(2) { _ in try nginx.send("GET", "/api/ready") }
        try Wait.until("two connections wait in the backlog") { try responder.queuedConnections() == 2 }

        responder.sendTerminate()
        let stopping = try Self.stoppingLine(of: responder)
        #expect(stopping["onStop"] as? String == "drain")
        #expect(stopping["newConnections"] as? String == "refused")
        // A new connection is refused at once (nginx answers its envelope), the queued ones stay queued.
        let refused = try nginx.send("GET", "/api/health")
        #expect(RequestLoad.isResponderUnavailable(refused), "\(refused.status) \(refused.text)")
        #expect(try responder.queuedConnections() == 2)
        #expect(responder.isRunning)

        try lock.release()
        #expect(try held.value().status == 200)
        for call in queued {
            let response = try call.value()
            #expect(response.status == 200, "\(response.text)")
        }
        #expect(responder.waitForExit() == 0)
        #expect(try Self.requestLines(of: responder) == 3)
    }

    @Test func aHandedOverResponderLeavesQueuedConnectionsForTheNextProcess() throws {
        let database = try TestPostgres.shared.createDatabase("handover_\(UInt32.random(in: 0...UInt32.max))")
        try TestStack.migrate(databaseURL: database)
        let directory = try TestEnvironment.makeScratchDirectory("handover")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The socket belongs to the test, as to a systemd socket unit: each responder gets it as standard input.
        let unit = try TestSocketUnit.listen(at: directory.appendingPathComponent("fcgi.sock").path)
        defer { unit.close() }
        let arguments = ["--threads", "1", "--max-requests", "1", "--on-stop", "handover"]
        let environment = ["DATABASE_URL": database].merging(Self.waitingForLocks) { $1 }
        let first = try TestResponder.start(
            on: unit, in: directory, environment: environment, arguments: arguments, name: "first")
        defer { first.terminate() }
        let nginx = try TestNginx.start(in: directory, socketPath: unit.path)
        defer { nginx.stop() }

        let lock = try ReadinessLock(database: database)
        let held = Background { try nginx.send("GET", "/api/ready") }
        try lock.waitForWaiters(1)
        let queued = Background { try nginx.send("GET", "/api/ready") }
        try Wait.until("a connection waits in the backlog") { try unit.queuedConnections() == 1 }

        first.sendTerminate()
        let stopping = try Self.stoppingLine(of: first)
        #expect(stopping["onStop"] as? String == "handover")
        #expect(stopping["queued"] as? String == "left for the next process")
        #expect(first.isRunning)
        try lock.release()

        // The request in flight is answered and the process exits; the queued connection is still there, unanswered.
        #expect(try held.value().status == 200)
        #expect(first.waitForExit() == 0)
        #expect(try unit.queuedConnections() == 1)
        #expect(!queued.isFinished)
        #expect(try Self.requestLines(of: first) == 1)

        let second = try TestResponder.start(
            on: unit, in: directory, environment: environment, arguments: arguments, name: "second")
        defer { second.terminate() }
        let response = try queued.value()
        #expect(response.status == 200, "\(response.text)")
        #expect(try Self.requestLines(of: second) == 1)
        #expect(try unit.queuedConnections() == 0)
    }

    // MARK: - Helpers

    /// Waits for the line the responder logs on SIGTERM and returns it.
    private static func stoppingLine(of responder: TestResponder) throws -> [String: Any] {
        var line: [String: Any]?
        try Wait.until("the responder has seen SIGTERM") {
            line = try responder.logLines().first { $0["message"] as? String == stoppingMessage }
            return line != nil
        }
        return line ?? [:]
    }

    /// How many requests the responder's log records.
    private static func requestLines(of responder: TestResponder) throws -> Int {
        try responder.logLines().filter { $0["message"] as? String == "request" }.count
    }
}

/// Holds readiness: `/api/ready` reads schema_migrations, which a transaction of this connection locks until
/// ``release()``.
private final class ReadinessLock {
    private let blocker: PostgresConnection
    private let observer: PostgresConnection

    init(database: String) throws {
        blocker = try PostgresConnection(connectionString: database)
        observer = try PostgresConnection(connectionString: database)
        try blocker.query("BEGIN")
        try blocker.query("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE")
    }

    /// Waits until `count` requests are inside a responder, waiting for the lock (PostgreSQL itself says so).
    func waitForWaiters(_ count: Int) throws {
        try Wait.until("\(count) requests wait on the lock") {
            let rows = try observer.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenant-whatsapp' "
                    + "AND wait_event_type = 'Lock' AND datname = current_database()")
            return rows.rows.first?.first.flatMap { $0 }.flatMap { Int($0) } == count
        }
    }

    func release() throws {
        try blocker.query("COMMIT")
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
