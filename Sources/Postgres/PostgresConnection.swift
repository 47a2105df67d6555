internal import CLibPQ

/// The single owner of one libpq connection (`PGconn`).
///
/// Not `Sendable`: libpq allows one thread at a time per connection, so each worker thread owns its own
/// (see ``PostgresPool``). Parameters and results travel as text and are copied into Swift values at once;
/// no pointer into libpq outlives the call that produced it.
public final class PostgresConnection {
    let handle: OpaquePointer
    private let connectionString: ConnectionString
    /// Server-side prepared statements of this connection, by SQL text; libpq forgets none of them, but a
    /// reset starts a new server session that has none.
    private var preparedStatements = PreparedStatementCache()

    /// Connects with `PQconnectdbParams(expand_dbname: 1)`; `connectionString` is a libpq key/value string or URI.
    ///
    /// `connect_timeout=2` and `application_name=tenant-whatsapp` are listed before `dbname`, so the same
    /// settings inside the connection string win. Notices (`NOTICE`, `WARNING`) are discarded rather than
    /// written to stderr. Errors never contain the connection string or its password.
    public init(connectionString: String) throws(PostgresError) {
        let parsed = try ConnectionString(connectionString)
        let keywords = try CStringArray(["connect_timeout", "application_name", "dbname", nil])
        let values = try CStringArray(["2", "tenant-whatsapp", connectionString, nil])
        let connection = keywords.withPointers { keywordPointers in
            values.withPointers { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let connection else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = parsed.redacting(String(cString: PQerrorMessage(connection)))
            // "even if the server connection attempt fails (as indicated by PQstatus), the application should
            // call PQfinish to free the memory used by the PGconn object."
            PQfinish(connection)
            throw PostgresError(kind: .connectionFailed, message: PostgresError.singleLine(message))
        }
        PQsetNoticeProcessor(connection, discardNotice, nil)
        self.handle = connection
        self.connectionString = parsed
    }

    deinit {
        // "PQfinish: Closes the connection to the server. Also frees memory used by the PGconn object."
        PQfinish(handle)
    }

    /// True while libpq considers the connection usable (`PQstatus == CONNECTION_OK`).
    ///
    /// A server that went away is noticed only by the next statement; until then this stays true.
    public var isConnected: Bool {
        PQstatus(handle) == CONNECTION_OK
    }

    /// True inside a transaction block (after `BEGIN`, before `COMMIT`/`ROLLBACK`), failed or not.
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// True inside a transaction block in which a statement failed: only `ROLLBACK` will be accepted.
    public var isInFailedTransaction: Bool {
        PQtransactionStatus(handle) == PQTRANS_INERROR
    }

    /// The server process id of this connection (`PQbackendPID`); changes after a reset.
    public var backendProcessID: Int {
        Int(PQbackendPID(handle))
    }

    /// Runs one statement with text parameters `$1…$n` (`nil` is SQL NULL) and returns its rows as text.
    ///
    /// A statement with parameters is prepared once per connection (keyed by its SQL text, so pass constant
    /// SQL) and executed with `PQexecPrepared`; one without parameters goes through `PQexecParams`. Either
    /// way exactly one statement is allowed — use ``execute(script:)`` for scripts.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresRows {
        try CStringArray.requireNoNUL(sql, name: "the SQL text")
        let values = try CStringArray(parameters)
        if parameters.isEmpty {
            return try run { PQexecParams(handle, sql, 0, nil, nil, nil, nil, 0) }
        }
        do {
            return try runPrepared(sql, values)
        } catch {
            guard error.sqlState == Self.cachedPlanChanged && !isInTransaction && isConnected else { throw error }
            // A migration changed a table under a statement prepared earlier; PostgreSQL refuses to run the old
            // plan ("cached plan must not change result type"). Nothing ran, so prepare it again, once.
            forgetPreparedStatement(sql)
            return try runPrepared(sql, values)
        }
    }

    /// Runs a script of one or more statements without parameters (`PQexec`), e.g. a migration file.
    ///
    /// The statements run in one implicit transaction unless the script has its own transaction control;
    /// the first failing statement stops the script and is thrown.
    public func execute(script: String) throws(PostgresError) {
        try CStringArray.requireNoNUL(script, name: "the script")
        _ = try PostgresResult.checking(PQexec(handle, script), on: handle)
    }

    /// Re-establishes the connection with the same parameters (`PQreset`) and forgets prepared statements.
    ///
    /// Session state (settings, prepared statements, advisory locks, an open transaction) is gone afterwards.
    public func reset() throws(PostgresError) {
        preparedStatements.removeAll()
        // "PQreset: This function will close the connection to the server and attempt to establish a new
        // connection, using all the same parameters previously used."
        PQreset(handle)
        guard isConnected else {
            let message = connectionString.redacting(String(cString: PQerrorMessage(handle)))
            throw PostgresError(kind: .connectionFailed, message: PostgresError.singleLine(message))
        }
    }

    /// SQLSTATE `0A000` (feature_not_supported), which PostgreSQL raises for a prepared plan whose table changed.
    private static let cachedPlanChanged = "0A000"

    private func runPrepared(_ sql: String, _ values: CStringArray) throws(PostgresError) -> PostgresRows {
        guard let name = try preparedStatementName(for: sql) else {
            // The cache is full (SQL built at run time?): run unnamed rather than grow without bound.
            return try run { values.withPointers { PQexecParams(handle, sql, values.count, nil, $0, nil, nil, 0) } }
        }
        return try run { values.withPointers { PQexecPrepared(handle, name, values.count, $0, nil, nil, 0) } }
    }

    /// The name `sql` is prepared under on this connection, preparing it first if needed; nil when the cache is full.
    private func preparedStatementName(for sql: String) throws(PostgresError) -> String? {
        if let name = preparedStatements.name(for: sql) { return name }
        guard let name = preparedStatements.reserveName() else { return nil }
        // nParams 0 and no types: "the server will infer a data type for the parameter symbol".
        _ = try PostgresResult.checking(PQprepare(handle, name, sql, 0, nil), on: handle)
        preparedStatements.insert(name, for: sql)
        return name
    }

    private func forgetPreparedStatement(_ sql: String) {
        guard let name = preparedStatements.remove(sql) else { return }
        _ = try? PostgresResult.checking(PQexec(handle, "DEALLOCATE \(name)"), on: handle)
    }

    /// Runs `exec` and copies its rows out before the result is cleared.
    private func run(_ exec: () -> OpaquePointer?) throws(PostgresError) -> PostgresRows {
        try PostgresResult.checking(exec(), on: handle).rows()
    }
}

/// libpq's notice processor, replaced so that server notices never reach the process's stderr.
///
/// A free function, so it is a plain C function pointer with no actor isolation.
private func discardNotice(_ context: UnsafeMutableRawPointer?, _ message: UnsafePointer<CChar>?) {}
