import Runtime

/// Caps how many holders one key may have at a time (a bulkhead per key), refusing at once beyond the cap.
///
/// Safe to share between any number of threads; it never waits. Only keys with at least one holder take memory, so
/// any number of distinct keys can pass through it.
public final class KeyedLimiter<Key: Hashable & Sendable>: Sendable {
    /// How many holders one key may have at a time.
    public let limit: Int
    private let counts = ConditionLock<[Key: Int]>([:])

    /// A limiter allowing `limit` holders per key; `limit` must be at least 1 (a programming error otherwise).
    public init(limit: Int) {
        precondition(limit >= 1, "a keyed limiter needs a limit of at least 1")
        self.limit = limit
    }

    /// Takes one of `key`'s permits if one is free; false at once when `limit` holders already hold `key`.
    ///
    /// Every true must be followed by exactly one ``release(_:)`` of the same key; ``withPermit(_:_:)`` does that.
    public func tryAcquire(_ key: Key) -> Bool {
        counts.withLock { holders in
            let count = holders[key, default: 0]
            guard count < limit else { return false }
            holders[key] = count + 1
            return true
        }
    }

    /// Gives back one of `key`'s permits; the key is forgotten when its last holder releases it.
    ///
    /// Releasing a key nobody holds is a programming error: debug builds stop, release builds ignore it rather than
    /// take the process down with every request in it.
    public func release(_ key: Key) {
        counts.withLock { holders in
            guard let count = holders[key] else {
                assertionFailure("released a key nobody holds")
                return
            }
            holders[key] = count > 1 ? count - 1 : nil
        }
    }

    /// Runs `body` holding one of `key`'s permits, released when `body` returns or throws; nil (without running
    /// `body`) when none is free.
    public func withPermit<T, E: Error>(_ key: Key, _ body: () throws(E) -> T) throws(E) -> T? {
        guard tryAcquire(key) else { return nil }
        defer { release(key) }
        return try body()
    }

    /// How many holders `key` has now.
    public func holders(of key: Key) -> Int {
        counts.withLock { $0[key, default: 0] }
    }

    /// How many keys have at least one holder: the limiter's memory, for metrics and tests.
    public var heldKeyCount: Int {
        counts.withLock { $0.count }
    }
}
