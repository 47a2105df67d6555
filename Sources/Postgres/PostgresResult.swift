internal import CLibPQ

/// The single owner of one `PGresult`: read it, then let it go, and it is cleared exactly once.
///
/// libpq: "Every command result should be freed via PQclear when it is no longer needed" — the `deinit`
/// does it on every path, including the thrown ones.
struct PostgresResult: ~Copyable {
    private let handle: OpaquePointer

    /// Takes ownership of `handle`.
    init(taking handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    /// Checks the outcome of an `exec`-family call on `connection`: the result on success, else the error.
    ///
    /// A nil result means libpq could not even build one (out of memory, or the connection broke while
    /// sending); `PQerrorMessage` then says why. After any failure a `CONNECTION_BAD` status makes the error
    /// a connection loss, so callers know to reconnect.
    static func checking(_ result: OpaquePointer?, on connection: OpaquePointer) throws(PostgresError) -> Self {
        guard let result else {
            throw PostgresError(
                kind: PQstatus(connection) == CONNECTION_BAD ? .connectionLost : .queryFailed,
                message: PostgresError.singleLine(String(cString: PQerrorMessage(connection))))
        }
        let owned = PostgresResult(taking: result)
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return owned
        default:
            throw owned.error(on: connection)
        }
    }

    /// Copies every row and column name into Swift values, so nothing points into the result afterwards.
    func rows() -> PostgresRows {
        let columnCount = PQnfields(handle)
        let rowCount = PQntuples(handle)
        let columns = (0..<columnCount).map { String(cString: PQfname(handle, $0)) }
        let rows = (0..<rowCount).map { row in
            (0..<columnCount).map { column -> String? in
                // PQgetvalue points into the result; String(cString:) copies it before PQclear.
                PQgetisnull(handle, row, column) == 1 ? nil : String(cString: PQgetvalue(handle, row, column))
            }
        }
        return PostgresRows(columns: columns, rows: rows, affectedRowCount: affectedRowCount)
    }

    /// `PQcmdTuples` as a number: an empty string (a command that counts nothing) is 0.
    private var affectedRowCount: Int {
        Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    /// The server's diagnostics for a failed result, as a ``PostgresError``.
    private func error(on connection: OpaquePointer) -> PostgresError {
        let message = field(DiagnosticField.primaryMessage) ?? String(cString: PQresultErrorMessage(handle))
        return PostgresError(
            kind: PQstatus(connection) == CONNECTION_BAD ? .connectionLost : .queryFailed,
            sqlState: field(DiagnosticField.sqlState),
            message: PostgresError.singleLine(message),
            detail: field(DiagnosticField.detail),
            hint: field(DiagnosticField.hint))
    }

    private func field(_ code: Int32) -> String? {
        guard let value = PQresultErrorField(handle, code) else { return nil }
        return String(cString: value)
    }
}

/// The `PG_DIAG_*` field codes of postgres_ext.h. They are character-literal macros (`#define PG_DIAG_SQLSTATE 'C'`),
/// which Swift does not import.
private enum DiagnosticField {
    static let sqlState = Int32(UInt8(ascii: "C"))
    static let primaryMessage = Int32(UInt8(ascii: "M"))
    static let detail = Int32(UInt8(ascii: "D"))
    static let hint = Int32(UInt8(ascii: "H"))
}
