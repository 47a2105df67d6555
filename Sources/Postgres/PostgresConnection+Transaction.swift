extension PostgresConnection {
    /// Runs `body` inside `BEGIN` … `COMMIT`; any error rolls the transaction back and is rethrown.
    ///
    /// If `body` swallowed a failed statement, PostgreSQL would answer the `COMMIT` with a silent `ROLLBACK`;
    /// that case is thrown as SQLSTATE `25P02` (in_failed_sql_transaction) instead of reported as success.
    public func transaction<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) throws(PostgresError) -> T {
        try execute(script: "BEGIN")
        do throws(PostgresError) {
            let value = try body(self)
            guard !isInFailedTransaction else {
                throw PostgresError(
                    kind: .queryFailed, sqlState: "25P02",
                    message: "a statement failed inside the transaction; it was rolled back")
            }
            try execute(script: "COMMIT")
            return value
        } catch {
            rollBackQuietly()
            throw error
        }
    }

    /// Rolls back an open transaction, ignoring failure: a broken connection has no transaction left to end.
    public func rollBackQuietly() {
        guard isConnected && isInTransaction else { return }
        try? execute(script: "ROLLBACK")
    }
}
