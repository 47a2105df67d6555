/// A worker thread's lasting link to PostgreSQL: connects on first use and again after the connection is lost
/// (server restarted, backend terminated), so the process never needs a restart to reach the database again.
///
/// Not `Sendable`: create one per worker thread. Each (re)connect runs `sessionSettings` first.
public final class PostgresSession {
    private let connectionString: String
    private let sessionSettings: [String]
    private var connection: PostgresConnection?

    /// Prepares a session; nothing connects until the first statement.
    ///
    /// - Parameters:
    ///   - connectionString: a libpq key/value string or URI (never logged).
    ///   - sessionSettings: statements run after every (re)connect, e.g. `["SET statement_timeout = '5s'"]`.
    public init(connectionString: String, sessionSettings: [String] = []) {
        self.connectionString = connectionString
        self.sessionSettings = sessionSettings
    }

    /// Runs one statement (see ``PostgresConnection/query(_:_:)``), connecting first if needed.
    ///
    /// When the connection turns out to be lost, the error is thrown and the next call reconnects — unless
    /// `retryOnConnectionLoss` is true: then this call reconnects and runs the statement once more. Only pass
    /// true for statements that are safe to run twice (reads, idempotent writes): a statement interrupted by
    /// the loss may or may not have been committed.
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [String?] = [], retryOnConnectionLoss: Bool = false
    ) throws(PostgresError) -> PostgresRows {
        do {
            return try withConnection { connection throws(PostgresError) in try connection.query(sql, parameters) }
        } catch {
            guard retryOnConnectionLoss && error.kind == .connectionLost else { throw error }
            return try withConnection { connection throws(PostgresError) in try connection.query(sql, parameters) }
        }
    }

    /// Lends the connection to `body`, connecting first if there is none or it is known to be broken.
    ///
    /// After `body`, a transaction it left open is rolled back so the next caller starts clean, and a
    /// connection that was lost is dropped so the next call reconnects. Errors of `body` are rethrown.
    public func withConnection<T>(
        _ body: (PostgresConnection) throws(PostgresError) -> T
    ) throws(PostgresError) -> T {
        let connection = try connected()
        let outcome: Result<T, PostgresError>
        do {
            outcome = .success(try body(connection))
        } catch {
            outcome = .failure(error)
        }
        finish(connection)
        return try outcome.get()
    }

    /// Closes the connection now (the next statement opens a new one).
    public func disconnect() {
        connection = nil
    }

    /// The current connection if usable, else a new one with the session settings applied.
    private func connected() throws(PostgresError) -> PostgresConnection {
        if let connection, connection.isConnected {
            return connection
        }
        connection = nil
        let fresh = try PostgresConnection(connectionString: connectionString)
        for setting in sessionSettings {
            try fresh.execute(script: setting)
        }
        connection = fresh
        return fresh
    }

    /// Leaves the connection clean for the next caller, or drops it when it is no longer usable.
    private func finish(_ connection: PostgresConnection) {
        connection.rollBackQuietly()
        if !connection.isConnected {
            self.connection = nil
        }
    }
}
