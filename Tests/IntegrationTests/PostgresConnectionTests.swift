import Postgres
import Testing

@Suite("PostgresConnection against a real PostgreSQL")
struct PostgresConnectionTests {
    /// A fresh database on the shared cluster, so tests do not see each other's tables.
    private func freshDatabase(_ label: String) throws -> PostgresConnection {
        try PostgresConnection(connectionString: TestPostgres.shared.createDatabase(label))
    }

    @Test func parametersRoundTripVerbatimIncludingNullAndQuotes() throws {
        let connection = try freshDatabase("roundtrip")
        try connection.execute(script: "CREATE TABLE notes (id int PRIMARY KEY, body text)")
        let hostile = "it's \"quoted\"'; DROP TABLE notes; -- ünïcödé"
        let inserted = try connection.query(
            "INSERT INTO notes (id, body) VALUES ($1, $2), ($3, $4)", ["1", hostile, "2", nil])
        #expect(inserted.affectedRowCount == 2)

        let rows = try connection.query("SELECT id, body FROM notes WHERE id = ANY($1::int[]) ORDER BY id", ["{1,2}"])
        #expect(rows.columns == ["id", "body"])
        #expect(rows.count == 2)
        #expect(rows.first?["body"] == hostile)
        #expect(rows.value(row: 1, column: "body") == nil)
        #expect(rows[1].hasColumn("body"))
        #expect(try connection.query("SELECT count(*) AS n FROM notes").first?["n"] == "2")
    }

    @Test func uniqueViolationCarriesSQLState23505AndKeepsTheConnection() throws {
        let connection = try freshDatabase("unique")
        try connection.execute(script: "CREATE TABLE tenants (id text PRIMARY KEY)")
        try connection.query("INSERT INTO tenants (id) VALUES ($1)", ["t1"])
        let error = try #require(throws: PostgresError.self) {
            try connection.query("INSERT INTO tenants (id) VALUES ($1)", ["t1"])
        }
        #expect(error.kind == .queryFailed)
        #expect(error.sqlState == "23505")
        #expect(!error.isConnectionLoss)
        #expect(error.debugDescription.contains("already exists"))
        #expect(connection.isConnected)
        #expect(try connection.query("SELECT 1 AS one").first?["one"] == "1")
    }

    @Test func missingTableCarriesSQLState42P01() throws {
        let connection = try freshDatabase("missing")
        let error = try #require(throws: PostgresError.self) {
            try connection.query("SELECT * FROM no_such_table WHERE id = $1", ["x"])
        }
        #expect(error.sqlState == "42P01")
        #expect(error.description.contains("42P01"))
    }

    @Test func parameterWithNulByteIsRefusedBeforeSending() throws {
        let connection = try freshDatabase("nul")
        let error = try #require(throws: PostgresError.self) {
            try connection.query("SELECT $1::text", ["before\u{0}after"])
        }
        #expect(error.kind == .invalidParameter)
        #expect(connection.isConnected)
    }

    @Test(arguments: [
        "postgresql:///tenant_whatsapp?host=/tmp/tw-no-such-socket-dir&port=5999&user=postgres&password=s3cr3t-url",
        "host=/tmp/tw-no-such-socket-dir port=5999 user=postgres password=s3cr3t-keyword",
        "postgresql://postgres:s3cr3t-%zz@/tenant_whatsapp",
        "host=/tmp/tw-no-such-socket-dir password=s3cr3t-broken dangling",
        // libpq quotes the socket path in its message; here the path holds the password, which must be cut out.
        "host=/tmp/tw-s3cr3t-in-path port=5999 user=postgres password=tw-s3cr3t-in-path",
    ])
    func connectionFailureNeverRevealsThePassword(connectionString: String) throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(connectionString: connectionString)
        }
        #expect(error.isConnectionLoss || error.kind == .invalidConnectionString)
        #expect(!error.description.contains("s3cr3t"))
        #expect(!error.debugDescription.contains("s3cr3t"))
        #expect(!"\(error)".contains("s3cr3t"))
    }

    @Test func transactionRollsBackWhenTheBodyFails() throws {
        let connection = try freshDatabase("transaction")
        try connection.execute(script: "CREATE TABLE items (id int PRIMARY KEY)")
        #expect(throws: PostgresError.self) {
            try connection.transaction { connection throws(PostgresError) in
                try connection.query("INSERT INTO items (id) VALUES ($1)", ["1"])
                try connection.query("INSERT INTO items (id) VALUES ($1)", ["1"])
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.query("SELECT count(*) AS n FROM items").first?["n"] == "0")
    }

    @Test func preparedStatementsAreReplannedAfterTheTableChanges() throws {
        let connection = try freshDatabase("replan")
        try connection.execute(script: "CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items VALUES (1)")
        let select = "SELECT * FROM items WHERE id = $1"
        #expect(try connection.query(select, ["1"]).columns == ["id"])
        try connection.execute(script: "ALTER TABLE items ADD COLUMN name text")
        #expect(try connection.query(select, ["1"]).columns == ["id", "name"])
    }

    @Test func resetReconnectsAndPreparesStatementsAgain() throws {
        let cluster = TestPostgres.shared
        let connection = try PostgresConnection(connectionString: cluster.createDatabase("reset"))
        let echo = "SELECT $1::text AS echoed"
        #expect(try connection.query(echo, ["before"]).first?["echoed"] == "before")
        try cluster.psql("SELECT pg_terminate_backend(\(connection.backendProcessID), 5000)", database: "postgres")

        let lost = try #require(throws: PostgresError.self) { try connection.query(echo, ["lost"]) }
        #expect(lost.isConnectionLoss)
        #expect(!connection.isConnected)
        try connection.reset()
        #expect(try connection.query(echo, ["after"]).first?["echoed"] == "after")
    }
}
