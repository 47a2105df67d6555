/// The names of the statements prepared on one connection, by SQL text.
///
/// Names come from a counter (`tw_1`, `tw_2`, …) so they never need quoting and never collide within a
/// server session. The cache is bounded: SQL assembled at run time must not grow server memory forever.
struct PreparedStatementCache {
    /// The most statements kept prepared on one connection; beyond it statements run unnamed.
    static let capacity = 256

    private var names: [String: String] = [:]
    private var counter = 0

    /// The name `sql` was prepared under, if it was.
    func name(for sql: String) -> String? {
        names[sql]
    }

    /// A fresh name for a statement about to be prepared; nil when the cache is full.
    mutating func reserveName() -> String? {
        guard names.count < Self.capacity else { return nil }
        counter += 1
        return "tw_\(counter)"
    }

    /// Records that `sql` is now prepared as `name`.
    mutating func insert(_ name: String, for sql: String) {
        names[sql] = name
    }

    /// Forgets `sql`, returning the name it had so the caller can deallocate it.
    mutating func remove(_ sql: String) -> String? {
        names.removeValue(forKey: sql)
    }

    /// Forgets every statement: after a reset the new server session has none.
    mutating func removeAll() {
        names.removeAll()
    }
}
