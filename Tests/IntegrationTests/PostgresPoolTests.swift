import Postgres
import Runtime
import Testing

/// The pool bounds the connections one process holds, whatever the load, and keeps lending usable, clean
/// connections through lost backends, restarts and failed connects.
@Suite("PostgresPool bounds, reuses and replaces connections")
struct PostgresPoolTests {
    private let echo = "SELECT $1::text AS echoed, pg_backend_pid()::text AS pid"

    @Test func neverOpensMoreThanItsSizeWhileFourTimesAsManyBorrowersAllFinish() throws {
        let url = try TestPostgres.shared.createDatabase("pool_bound")
        let size = 3
        let pool = PostgresPool(connectionString: url, size: size, borrowTimeout: .seconds(60))
        // One observer for both counts: a closed one's backend can linger in pg_stat_activity while it exits.
        let observer = try PostgresConnection(connectionString: url)
        let holders = ConnectionHolders(count: 4 * size)
        try holders.start(on: pool)

        try holders.waitUntilHolding(size)
        try Wait.until("the other borrowers wait for a connection") { pool.statistics.waiting == 3 * size }
        #expect(pool.statistics == .init(open: size, idle: 0, borrowed: size, waiting: 3 * size, timeouts: 0))
        #expect(try connectionCount(seenBy: observer) == size)

        let errors = try holders.releaseAndWaitUntilFinished()
        #expect(errors.isEmpty)
        #expect(holders.mostHeldAtOnce == size)
        #expect(pool.statistics == .init(open: size, idle: size, borrowed: 0, waiting: 0, timeouts: 0))
        #expect(try connectionCount(seenBy: observer) == size)
    }

    @Test func borrowFailsWithPoolTimeoutAfterTheBorrowTimeoutWhileEveryConnectionIsHeld() throws {
        let timeout = Duration.milliseconds(300)
        let waits = ConditionLock<[(waited: Duration, timedOut: Bool)]>([])
        let pool = PostgresPool(
            connectionString: try TestPostgres.shared.createDatabase("pool_timeout"), size: 2, borrowTimeout: timeout,
            onBorrowWait: { waited, timedOut in waits.withLock { $0.append((waited, timedOut)) } })
        let holders = ConnectionHolders(count: 2)
        try holders.start(on: pool)
        try holders.waitUntilHolding(2)

        let start = ContinuousClock.now
        let error = try #require(throws: PostgresError.self) { try pool.query("SELECT 1") }
        let waited = ContinuousClock.now - start
        #expect(error.kind == .poolTimeout)
        #expect(!error.isConnectionLoss)
        #expect(waited >= timeout)
        // Gave up on its own deadline, long before a holder lets go (they hold until released below); the bound is
        // ten times the timeout so that a busy machine cannot fail it.
        #expect(waited < timeout * 10)
        #expect(pool.statistics == .init(open: 2, idle: 0, borrowed: 2, waiting: 0, timeouts: 1))
        // The metrics' observer: the two holders got their slots at once, the third borrow waited out the timeout.
        let observed = waits.withLock { $0 }
        #expect(observed.map(\.timedOut) == [false, false, true])
        #expect(observed.last.map { $0.waited >= timeout } == true)

        #expect(try holders.releaseAndWaitUntilFinished().isEmpty)
        #expect(try pool.query("SELECT 1 AS one").first?["one"] == "1")
        #expect(waits.withLock { $0.count } == 4)
    }

    @Test func returnedConnectionIsLentAgain() throws {
        let pool = PostgresPool(
            connectionString: try TestPostgres.shared.createDatabase("pool_reuse"), size: 2, borrowTimeout: .seconds(10)
        )
        let first = try pool.query(echo, ["first"]).first?["pid"]
        let second = try pool.query(echo, ["second"]).first?["pid"]
        #expect(first != nil)
        #expect(first == second)
        #expect(pool.statistics.open == 1)
    }

    @Test func mostRecentlyReturnedConnectionIsLentFirst() throws {
        let pool = PostgresPool(
            connectionString: try TestPostgres.shared.createDatabase("pool_lifo"), size: 2, borrowTimeout: .seconds(10))
        // The inner connection is returned first, the outer one last.
        let (outer, inner) = try pool.withConnection { outer throws(PostgresError) in
            try pool.withConnection { inner in (outer.backendProcessID, inner.backendProcessID) }
        }
        #expect(outer != inner)
        #expect(try pool.withConnection { $0.backendProcessID } == outer)
    }

    @Test func transactionLeftOpenByABorrowerIsRolledBackBeforeReuse() throws {
        let pool = PostgresPool(
            connectionString: try TestPostgres.shared.createDatabase("pool_leak"), size: 1, borrowTimeout: .seconds(10))
        try pool.query("CREATE TABLE items (id int)")
        let leaker = try pool.withConnection { connection throws(PostgresError) in
            try connection.execute(script: "BEGIN")
            try connection.query("INSERT INTO items (id) VALUES ($1)", ["1"])
            return connection.backendProcessID
        }
        let (next, isInTransaction) = try pool.withConnection { connection in
            (connection.backendProcessID, connection.isInTransaction)
        }
        #expect(next == leaker)
        #expect(!isInTransaction)
        #expect(try pool.query("SELECT count(*) AS n FROM items").first?["n"] == "0")
    }

    @Test func transactionCommitsItsBodyAndRollsBackWhenTheBodyThrows() throws {
        let pool = PostgresPool(
            connectionString: try TestPostgres.shared.createDatabase("pool_tx"), size: 1, borrowTimeout: .seconds(10))
        try pool.query("CREATE TABLE items (id int PRIMARY KEY)")
        _ = try pool.transaction { connection throws(PostgresError) in
            try connection.query("INSERT INTO items (id) VALUES ($1)", ["1"])
        }
        let duplicate = try #require(throws: PostgresError.self) {
            try pool.transaction { connection throws(PostgresError) in
                try connection.query("INSERT INTO items (id) VALUES ($1)", ["2"])
                try connection.query("INSERT INTO items (id) VALUES ($1)", ["1"])
            }
        }
        #expect(duplicate.sqlState == "23505")
        #expect(try pool.query("SELECT string_agg(id::text, ',') AS ids FROM items").first?["ids"] == "1")
    }

    @Test func terminatedBackendIsReplacedTransparentlyForARetriedRead() throws {
        let cluster = TestPostgres.shared
        let pool = PostgresPool(
            connectionString: try cluster.createDatabase("pool_terminate"), size: 2, borrowTimeout: .seconds(10))
        let before = try #require(try pool.query(echo, ["before"]).first?["pid"])

        // The second argument waits (up to 5 s) until the backend has really exited.
        #expect(try cluster.psql("SELECT pg_terminate_backend(\(before), 5000)", database: "postgres") == "t")

        let rows = try pool.query(echo, ["after"], retryOnConnectionLoss: true)
        #expect(rows.first?["echoed"] == "after")
        #expect(rows.first?["pid"] != before)
        #expect(pool.statistics == .init(open: 1, idle: 1, borrowed: 0, waiting: 0, timeouts: 0))
    }

    @Test func lostConnectionIsReportedOnceWithoutRetryAndTheOtherIdleOnesAreClosedWithIt() throws {
        let cluster = TestPostgres.shared
        let pool = PostgresPool(
            connectionString: try cluster.createDatabase("pool_lost"), size: 2, borrowTimeout: .seconds(10))
        let pids = try pool.withConnection { outer throws(PostgresError) in
            try pool.withConnection { inner in [outer.backendProcessID, inner.backendProcessID] }
        }
        #expect(pool.statistics.idle == 2)

        // What a server restart does to idle connections; the second argument waits until each backend has exited.
        let terminated = try cluster.psql(
            "SELECT " + pids.map { "pg_terminate_backend(\($0), 5000)" }.joined(separator: " AND "),
            database: "postgres")
        #expect(terminated == "t")

        let lost = try #require(throws: PostgresError.self) { try pool.query(echo, ["lost"]) }
        #expect(lost.kind == .connectionLost)
        #expect(pool.statistics.open == 0)
        #expect(try pool.query(echo, ["after"]).first?["echoed"] == "after")
    }

    @Test func retriedReadRecoversInTheFirstCallAfterARestart() throws {
        let cluster = try TestPostgres.start(label: "pool-restart")
        defer { cluster.shutdown() }
        let pool = PostgresPool(connectionString: cluster.databaseURL, size: 2, borrowTimeout: .seconds(10))
        _ = try pool.withConnection { _ throws(PostgresError) in try pool.query(echo, ["before"]) }
        #expect(pool.statistics.idle == 2)

        try cluster.stop()
        try cluster.restart()

        let rows = try pool.query(echo, ["after"], retryOnConnectionLoss: true)
        #expect(rows.first?["echoed"] == "after")
        #expect(pool.statistics.open == 1)
    }

    @Test func sessionSettingsApplyToEveryNewConnection() throws {
        let cluster = TestPostgres.shared
        let pool = PostgresPool(
            connectionString: try cluster.createDatabase("pool_settings"), size: 2, borrowTimeout: .seconds(10),
            sessionSettings: ["SET statement_timeout = '1234ms'"])
        let timeouts = try pool.withConnection { outer throws(PostgresError) in
            try pool.withConnection { inner throws(PostgresError) in
                try [outer, inner].map { connection throws(PostgresError) in
                    try connection.query("SHOW statement_timeout").first?["statement_timeout"]
                }
            }
        }
        #expect(timeouts == ["1234ms", "1234ms"])

        let pid = try #require(try pool.query(echo, ["x"]).first?["pid"])
        try cluster.psql("SELECT pg_terminate_backend(\(pid), 5000)", database: "postgres")
        let rows = try pool.query("SHOW statement_timeout", retryOnConnectionLoss: true)
        #expect(rows.first?["statement_timeout"] == "1234ms")
    }

    @Test func connectionWhoseSessionSettingFailsIsClosedAndItsSlotFreed() throws {
        let pool = PostgresPool(
            connectionString: try TestPostgres.shared.createDatabase("pool_bad_setting"), size: 1,
            borrowTimeout: .seconds(5), sessionSettings: ["SET no_such_setting = 1"])
        for _ in 1...2 {
            let error = try #require(throws: PostgresError.self) { try pool.query("SELECT 1") }
            #expect(error.kind == .queryFailed)
            #expect(error.sqlState == "42704")
        }
        #expect(pool.statistics == .init(open: 0, idle: 0, borrowed: 0, waiting: 0, timeouts: 0))
    }

    @Test func failedConnectFreesItsSlotSoTheNextBorrowFailsFastInstead() throws {
        let pool = PostgresPool(
            connectionString: TestPostgres.shared.url(of: "no_such_database"), size: 1, borrowTimeout: .seconds(5))
        for _ in 1...2 {
            // A leaked slot would make the second borrow wait and end in poolTimeout.
            let error = try #require(throws: PostgresError.self) { try pool.query("SELECT 1") }
            #expect(error.kind == .connectionFailed)
        }
        #expect(pool.statistics == .init(open: 0, idle: 0, borrowed: 0, waiting: 0, timeouts: 0))
    }

    /// Connections to the observer's database other than its own, as the server counts them.
    private func connectionCount(seenBy observer: PostgresConnection) throws -> Int {
        let rows = try observer.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return try #require(rows.first?["n"].flatMap { Int($0) })
    }
}

/// Threads that each borrow a connection and hold it until released: a busy pool without sleeps.
///
/// Threads beyond the pool's size wait inside the pool; once released, every later borrower passes straight through.
private final class ConnectionHolders: Sendable {
    private struct State {
        var holding = 0
        var mostHeldAtOnce = 0
        var finished = 0
        var isReleased = false
        var errors: [PostgresError] = []
    }

    private let count: Int
    private let state = ConditionLock(State())
    private let deadline: Duration = .seconds(60)

    init(count: Int) {
        self.count = count
    }

    /// The most threads that held a connection at the same time.
    var mostHeldAtOnce: Int { state.withLock { $0.mostHeldAtOnce } }

    /// Starts the threads; each borrows from `pool` at once.
    func start(on pool: PostgresPool) throws {
        for _ in 0..<count {
            try Threads.detach { [state, deadline] in
                do throws(PostgresError) {
                    try pool.withConnection { _ in
                        state.withLockNotifying { state in
                            state.holding += 1
                            state.mostHeldAtOnce = max(state.mostHeldAtOnce, state.holding)
                        }
                        _ = state.wait(until: .now + deadline) { state in state.isReleased ? () : nil }
                        state.withLockNotifying { state in state.holding -= 1 }
                    }
                } catch {
                    state.withLockNotifying { state in state.errors.append(error) }
                }
                state.withLockNotifying { state in state.finished += 1 }
            }
        }
    }

    /// Returns once `expected` threads hold a connection at the same time.
    func waitUntilHolding(_ expected: Int) throws {
        let reached = state.wait(until: .now + deadline) { state in state.holding == expected ? true : nil }
        guard reached == true else { throw TestFailure("\(expected) threads never held a connection at once") }
    }

    /// Lets every thread give its connection back, waits until all have finished, and returns their errors.
    func releaseAndWaitUntilFinished() throws -> [PostgresError] {
        state.withLockNotifying { state in state.isReleased = true }
        let errors = state.wait(until: .now + deadline) { state in state.finished == count ? state.errors : nil }
        guard let errors else { throw TestFailure("the \(count) holding threads did not finish") }
        return errors
    }
}
