/// A failure reported by libpq or by PostgreSQL, with the server's SQLSTATE when there is one.
///
/// `description` is safe to log: the kind, the SQLSTATE and the primary message, never the connection string
/// or its password. `debugDescription` adds the server's detail and hint (which can quote row values, so keep
/// it for debug logs), and still never the connection string.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as a stable code callers can switch on.
    public enum Kind: String, Sendable {
        /// The connection string could not be parsed; nothing was sent to a server.
        case invalidConnectionString = "invalid_connection_string"
        /// No connection could be established (server down, wrong socket, authentication refused).
        case connectionFailed = "connection_failed"
        /// An established connection broke (server restarted, backend terminated); the statement's fate is unknown.
        case connectionLost = "connection_lost"
        /// The server rejected the statement; `sqlState` says why. The connection is still usable.
        case queryFailed = "query_failed"
        /// A parameter cannot be sent as text (it contains a NUL byte); nothing was sent.
        case invalidParameter = "invalid_parameter"
        /// Every connection of the pool stayed borrowed for the whole borrow timeout; nothing was sent. Not a
        /// connection loss: the database may be fine while this process is busy, so answer at once (503) and let
        /// the client retry later.
        case poolTimeout = "pool_timeout"
    }

    /// What went wrong.
    public let kind: Kind
    /// The five-character SQLSTATE (`PG_DIAG_SQLSTATE`), e.g. `23505` for a unique violation; nil when
    /// the failure happened in libpq itself (a broken socket has none).
    public let sqlState: String?
    /// The primary message, one line, free of the connection string and password.
    public let message: String
    /// The server's optional detail (`PG_DIAG_MESSAGE_DETAIL`); may quote row values.
    public let detail: String?
    /// The server's optional hint (`PG_DIAG_MESSAGE_HINT`).
    public let hint: String?

    /// Creates an error; `message` must already be free of secrets.
    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    /// Whether the statement gave up waiting for a lock someone else holds (SQLSTATE 55P03, `lock_not_available`:
    /// `lock_timeout` or `NOWAIT`). The connection is still usable.
    public var isLockNotAvailable: Bool {
        sqlState == "55P03"
    }

    /// True when the connection that produced this error is unusable: reconnect before the next statement.
    public var isConnectionLoss: Bool {
        kind == .connectionFailed || kind == .connectionLost
    }

    /// Kind, SQLSTATE and primary message: safe to log.
    public var description: String {
        var text = "postgres \(kind.rawValue)"
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        return text + ": " + message
    }

    /// `description` plus the server's detail and hint.
    public var debugDescription: String {
        var text = description
        if let detail { text += " detail: " + detail }
        if let hint { text += " hint: " + hint }
        return text
    }
}

extension PostgresError {
    /// Collapses libpq's multi-line messages ("...failed: ...\n\tIs the server running...") into one line.
    static func singleLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline)
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
