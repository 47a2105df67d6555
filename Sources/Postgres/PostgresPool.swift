import Runtime

/// A per-process pool of PostgreSQL connections, lent to one thread at a time for one statement or one short
/// transaction.
///
/// Connections are the scarce resource (each is a server process, and `max_connections` is shared by every
/// client), so the pool never has more than `size` connections open, counting those being opened. A borrower
/// that finds none free waits at most `borrowTimeout` and then gets ``PostgresError/Kind/poolTimeout``: an
/// answer the caller can turn into a fast 503 instead of queueing without limit.
///
/// Borrow for the statement or transaction only, never across an HTTP call or another party's latency, and never
/// borrow again while holding a connection (with every connection held by such threads, all of them wait until
/// their borrow timeout). Waiters are woken together when a connection comes back and whoever looks first takes
/// it: there is no queue order, so a waiter can lose to a newcomer and time out under sustained overload.
///
/// A connection that broke while idle (server restarted, backend terminated) is noticed by the next statement
/// run on it, which fails with ``PostgresError/Kind/connectionLost`` (see ``query(_:_:retryOnConnectionLoss:)``
/// for recovering reads). The pool then also closes every idle connection, since a restart breaks all of them.
///
/// Idle connections stay open until they are found lost or the pool itself is released (no idle timeout).
///
/// `Sendable` although the connections it stores are not: each one is touched by one thread at a time — under the
/// pool's lock while idle, and by its borrower alone while lent (see `State`, the one `@unchecked` part).
public final class PostgresPool: Sendable {
    /// The most connections open at once.
    public let size: Int
    /// The longest a borrower waits for a connection before ``PostgresError/Kind/poolTimeout``.
    public let borrowTimeout: Duration
    private let connectionString: String
    private let sessionSettings: [String]
    private let state: ConditionLock<State>
    private let onBorrowWait: BorrowWaitObserver

    /// Told how long one borrow waited for a connection (`waited`, not counting the opening of a new one) and
    /// whether it gave up (`timedOut`, after ``borrowTimeout``).
    public typealias BorrowWaitObserver = @Sendable (_ waited: Duration, _ timedOut: Bool) -> Void

    /// Prepares a pool; nothing connects until the first borrow.
    ///
    /// - Parameters:
    ///   - connectionString: a libpq key/value string or URI (never logged).
    ///   - size: the most connections open at once; values below 1 are taken as 1.
    ///   - borrowTimeout: the longest a borrower waits when all `size` connections are lent out.
    ///   - sessionSettings: statements run on every new connection before its first use,
    ///     e.g. `["SET statement_timeout = 5000"]`.
    ///   - onBorrowWait: told of every borrow's wait (for metrics), on the borrower's thread, outside the pool's
    ///     lock and before the connection is opened or used: keep it short, and never borrow from it.
    public init(
        connectionString: String, size: Int, borrowTimeout: Duration, sessionSettings: [String] = [],
        onBorrowWait: @escaping BorrowWaitObserver = { _, _ in }
    ) {
        self.connectionString = connectionString
        self.size = max(size, 1)
        self.borrowTimeout = borrowTimeout
        self.sessionSettings = sessionSettings
        self.state = ConditionLock(State())
        self.onBorrowWait = onBorrowWait
    }

    /// Lends a connection to `body` and takes it back afterwards; `body`'s value or error is passed on.
    ///
    /// The connection is the most recently returned idle one, or a new one when fewer than `size` are open, or
    /// the first one returned within `borrowTimeout`; otherwise this throws ``PostgresError/Kind/poolTimeout``
    /// without running `body`. Opening a connection can throw ``PostgresError/Kind/connectionFailed``, or the
    /// error of a failing session setting.
    ///
    /// `body` must not keep the connection. After it, a transaction it left open is rolled back, so the next
    /// borrower starts clean, and a connection that is no longer usable is closed instead of kept. Session
    /// state that `body` changes (`SET`, advisory locks) stays with the connection: avoid it, or undo it.
    public func withConnection<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        try lend(fresh: false, body)
    }

    /// Runs one statement on a borrowed connection (see ``PostgresConnection/query(_:_:)``).
    ///
    /// When the connection turns out to be lost, the error is thrown — unless `retryOnConnectionLoss` is true:
    /// then the statement runs once more on a newly opened connection. Only pass true for statements that are safe
    /// to run twice (reads, idempotent writes): a statement interrupted by the loss may or may not have been
    /// committed.
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [String?] = [], retryOnConnectionLoss: Bool = false
    ) throws(PostgresError) -> PostgresRows {
        let statement = { (connection: PostgresConnection) throws(PostgresError) in
            try connection.query(sql, parameters)
        }
        do {
            return try lend(fresh: false, statement)
        } catch {
            guard retryOnConnectionLoss && error.kind == .connectionLost else { throw error }
            // A new connection, not an idle one: the restart that broke this one may have broken those too.
            return try lend(fresh: true, statement)
        }
    }

    /// Runs `body` inside one transaction on a borrowed connection (see ``PostgresConnection/transaction(_:)``).
    ///
    /// Keep it short: the connection is unavailable to every other thread until it commits or rolls back.
    public func transaction<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        try withConnection { connection throws(PostgresError) in try connection.transaction(body) }
    }

    /// A snapshot of the pool's counters, for metrics and tests; it may be stale as soon as it is returned.
    public var statistics: Statistics {
        state.withLock { state in
            Statistics(
                open: state.idle.count + state.borrowed + state.closing, idle: state.idle.count,
                borrowed: state.borrowed, waiting: state.waiting, timeouts: state.timeouts)
        }
    }

    /// Borrows a connection (a new one when `fresh`), runs `body` with it and gives it back.
    private func lend<T>(
        fresh: Bool, _ body: (PostgresConnection) throws(PostgresError) -> T
    ) throws(PostgresError) -> T {
        let connection = try borrow(fresh: fresh)
        defer { giveBack(connection) }
        return try body(connection)
    }

    /// Takes a connection: idle, newly opened, or returned by another thread before the deadline.
    ///
    /// With `fresh`, idle connections are not lent; when they fill the pool, the least recently used one is closed
    /// to make room for a new one.
    private func borrow(fresh: Bool) throws(PostgresError) -> PostgresConnection {
        let started = ContinuousClock.now
        let deadline = started + borrowTimeout
        var isWaiting = false
        // Filled under the lock, emptied after it: closing a connection (`PQfinish`) talks to the server.
        var replaced: [PostgresConnection] = []
        let grant = state.wait(until: deadline) { state -> Grant? in
            guard let grant = state.take(fresh: fresh, size: size, replaced: &replaced) else {
                if !isWaiting { state.waiting += 1 }
                isWaiting = true
                return nil
            }
            if isWaiting { state.waiting -= 1 }
            return grant
        }
        onBorrowWait(.now - started, grant == nil)
        switch grant {
        case .idle(let connection):
            return connection
        case .slot:
            // The replaced connection is closed before the new one opens, so the server never sees `size + 1`.
            replaced.removeAll()
            return try open()
        case nil:
            state.withLock { state in
                // The wait registered this borrower on its first look, and only a grant would have unregistered it.
                state.waiting -= 1
                state.timeouts += 1
            }
            throw PostgresError(
                kind: .poolTimeout,
                message: "no PostgreSQL connection became free within \(borrowTimeout) (pool size \(size))")
        }
    }

    /// Opens a connection in a slot already counted as borrowed, outside the lock (connecting takes round trips,
    /// up to `connect_timeout`); on failure the slot is freed and a waiter woken to use it.
    private func open() throws(PostgresError) -> PostgresConnection {
        do {
            let connection = try PostgresConnection(connectionString: connectionString)
            for setting in sessionSettings {
                // A failure here drops `connection`, whose `deinit` closes it (`PQfinish`).
                try connection.execute(script: setting)
            }
            return connection
        } catch {
            state.withLockNotifying { state in state.borrowed -= 1 }
            throw error
        }
    }

    /// Cleans `connection` up and makes it idle, or drops it when it is no longer usable; wakes the waiters.
    ///
    /// libpq: "a communications failure might result in the status changing to CONNECTION_BAD prematurely. In
    /// that case the application could try to recover by calling PQreset." The pool opens a new connection instead
    /// (with the session settings), so a lost one frees its slot here at once: libpq has already dropped its
    /// socket, and its `deinit` calls `PQfinish` when `lend` lets go of it. The idle connections are closed with
    /// it: a lost connection usually means a restarted server, which broke them all, and closing them now spares
    /// the next statement on each the same failure.
    private func giveBack(_ connection: PostgresConnection) {
        connection.rollBackQuietly()
        let isUsable = connection.isConnected
        var stale: [PostgresConnection] = []
        state.withLockNotifying { state in
            state.borrowed -= 1
            guard isUsable else {
                swap(&stale, &state.idle)
                state.closing += stale.count
                return
            }
            state.idle.append(connection)
        }
        guard !stale.isEmpty else { return }
        let count = stale.count
        // Their slots stay counted until `PQfinish` has run, outside the lock: new connections must wait for them.
        stale.removeAll()
        state.withLockNotifying { state in state.closing -= count }
    }
}
