import Runtime

/// Caps how many callers may be inside at a time (one bulkhead for the whole process), refusing at once beyond the
/// cap: a slow dependency fills its own compartment, never every worker.
///
/// Safe to share between any number of threads; it never waits.
public final class Bulkhead: Sendable {
    /// How many callers may be inside at a time.
    public let limit: Int
    private let inside = ConditionLock(0)

    /// A bulkhead for `limit` callers; `limit` must be at least 1 (a programming error otherwise).
    public init(limit: Int) {
        precondition(limit >= 1, "a bulkhead needs a limit of at least 1")
        self.limit = limit
    }

    /// Enters if there is room; false at once when `limit` callers are inside. Every true must be followed by exactly
    /// one ``leave()``.
    public func tryEnter() -> Bool {
        inside.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Leaves (after a true ``tryEnter()``).
    public func leave() {
        inside.withLock { count in
            assert(count > 0, "left a bulkhead nobody was in")
            count = max(0, count - 1)
        }
    }

    /// How many callers are inside now (for metrics and tests; stale as soon as it is returned).
    public var occupancy: Int { inside.withLock { $0 } }
}
