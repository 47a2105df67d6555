import Postgres
import Testing

/// Sessions must survive what production does to connections: a PostgreSQL restart, a terminated backend.
@Suite("PostgresSession reconnects after the connection is lost")
struct PostgresSessionTests {
    private let echo = "SELECT $1::text AS echoed, pg_backend_pid()::text AS pid"

    @Test func retryingSessionRecoversInTheFirstCallAfterARestart() throws {
        let cluster = try TestPostgres.start(label: "restart-retry")
        defer { cluster.shutdown() }
        let session = PostgresSession(connectionString: cluster.databaseURL)
        #expect(try session.query(echo, ["before"]).first?["echoed"] == "before")

        try cluster.stop()
        try cluster.restart()

        let rows = try session.query(echo, ["after"], retryOnConnectionLoss: true)
        #expect(rows.first?["echoed"] == "after")
    }

    @Test func sessionWithoutRetryFailsOnceThenReconnects() throws {
        let cluster = try TestPostgres.start(label: "restart-plain")
        defer { cluster.shutdown() }
        let session = PostgresSession(connectionString: cluster.databaseURL)
        #expect(try session.query(echo, ["before"]).first?["echoed"] == "before")

        try cluster.stop()
        let whileDown = try #require(throws: PostgresError.self) { try session.query(echo, ["down"]) }
        #expect(whileDown.isConnectionLoss)
        let stillDown = try #require(throws: PostgresError.self) { try session.query(echo, ["down"]) }
        #expect(stillDown.kind == .connectionFailed)
        try cluster.restart()

        #expect(try session.query(echo, ["after"]).first?["echoed"] == "after")
    }

    @Test func firstCallAfterARestartReportsTheLossWhenNotRetrying() throws {
        let cluster = try TestPostgres.start(label: "restart-loss")
        defer { cluster.shutdown() }
        let session = PostgresSession(connectionString: cluster.databaseURL)
        try session.query(echo, ["before"])

        try cluster.stop()
        try cluster.restart()

        let lost = try #require(throws: PostgresError.self) { try session.query(echo, ["lost"]) }
        #expect(lost.isConnectionLoss)
        #expect(try session.query(echo, ["after"]).first?["echoed"] == "after")
    }

    @Test func terminatedBackendIsReplacedByANewOne() throws {
        let cluster = TestPostgres.shared
        let session = PostgresSession(connectionString: try cluster.createDatabase("terminate"))
        let before = try #require(try session.query(echo, ["before"]).first?["pid"])

        // The second argument waits (up to 5 s) until the backend has really exited.
        let terminated = try cluster.psql("SELECT pg_terminate_backend(\(before), 5000)", database: "postgres")
        #expect(terminated == "t")

        let rows = try session.query(echo, ["after"], retryOnConnectionLoss: true)
        #expect(rows.first?["echoed"] == "after")
        #expect(rows.first?["pid"] != before)
    }

    @Test func sessionSettingsApplyToEveryNewConnection() throws {
        let cluster = TestPostgres.shared
        let session = PostgresSession(
            connectionString: try cluster.createDatabase("settings"),
            sessionSettings: ["SET statement_timeout = '1234ms'"])
        #expect(try session.query("SHOW statement_timeout").first?["statement_timeout"] == "1234ms")
        let pid = try #require(try session.query(echo, ["x"]).first?["pid"])
        try cluster.psql("SELECT pg_terminate_backend(\(pid), 5000)", database: "postgres")

        let rows = try session.query("SHOW statement_timeout", retryOnConnectionLoss: true)
        #expect(rows.first?["statement_timeout"] == "1234ms")
    }

    @Test func transactionLeftOpenByACallerIsRolledBack() throws {
        let session = PostgresSession(connectionString: try TestPostgres.shared.createDatabase("leak"))
        try session.query("CREATE TABLE items (id int)")
        try session.withConnection { connection throws(PostgresError) in
            try connection.execute(script: "BEGIN")
            try connection.query("INSERT INTO items (id) VALUES ($1)", ["1"])
        }
        let isInTransaction = try session.withConnection { connection throws(PostgresError) in
            connection.isInTransaction
        }
        #expect(!isInTransaction)
        #expect(try session.query("SELECT count(*) AS n FROM items").first?["n"] == "0")
    }
}
