extension PostgresPool {
    /// The pool's counters at one moment, for metrics and tests.
    public struct Statistics: Sendable, Equatable, CustomStringConvertible {
        /// Connections open, being opened or being closed; never more than the pool's size.
        public let open: Int
        /// Open connections that nobody has borrowed.
        public let idle: Int
        /// Connections lent out, including those being opened for a borrower.
        public let borrowed: Int
        /// Borrowers waiting for a connection to be returned.
        public let waiting: Int
        /// Borrows that gave up with ``PostgresError/Kind/poolTimeout`` since the pool was created.
        public let timeouts: Int

        /// Creates a snapshot from counted values.
        public init(open: Int, idle: Int, borrowed: Int, waiting: Int, timeouts: Int) {
            self.open = open
            self.idle = idle
            self.borrowed = borrowed
            self.waiting = waiting
            self.timeouts = timeouts
        }

        /// One line for logs: `open=3 idle=1 borrowed=2 waiting=0 timeouts=0`.
        public var description: String {
            "open=\(open) idle=\(idle) borrowed=\(borrowed) waiting=\(waiting) timeouts=\(timeouts)"
        }
    }
}
