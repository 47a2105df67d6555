extension PostgresPool {
    /// What a borrower got from the pool's state.
    enum Grant {
        /// An idle connection, now borrowed.
        case idle(PostgresConnection)
        /// A slot, now counted as borrowed, to open a new connection in.
        case slot
    }

    /// The pool's bookkeeping, only touched inside its lock.
    ///
    /// `@unchecked Sendable`: `PostgresConnection` is not `Sendable`, and an idle one is only touched here, under
    /// the lock; once taken it belongs to its borrower's thread until it is given back.
    struct State: @unchecked Sendable {
        /// Idle connections, the most recently returned last (lent first: its server process is warm).
        var idle: [PostgresConnection] = []
        /// Connections lent out, including those being opened for a borrower.
        var borrowed = 0
        /// Connections dropped from `idle` whose `PQfinish` has not run yet.
        var closing = 0
        /// Borrowers waiting for a connection.
        var waiting = 0
        /// Borrows that gave up after `borrowTimeout`, since the pool was created.
        var timeouts = 0

        /// Takes an idle connection or a free slot; nil when the borrower must wait.
        ///
        /// With `fresh`, an idle connection is never lent: when idle ones fill the pool, the least recently used is
        /// moved to `replaced` (for the caller to close) and its slot taken.
        mutating func take(fresh: Bool, size: Int, replaced: inout [PostgresConnection]) -> Grant? {
            if !fresh, let connection = idle.popLast() {
                borrowed += 1
                return .idle(connection)
            }
            if idle.count + borrowed + closing < size {
                borrowed += 1
                return .slot
            }
            if fresh && !idle.isEmpty {
                replaced.append(idle.removeFirst())
                borrowed += 1
                return .slot
            }
            return nil
        }
    }
}
