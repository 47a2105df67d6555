import Runtime

/// A clock that moves only when a test advances it, for cool-downs measured without waiting.
final class ManualClock: Sendable {
    private let instant = ConditionLock(ContinuousClock.now)

    /// The clock's current instant; pass `clock.now` where a `now` closure is expected.
    @Sendable func now() -> ContinuousClock.Instant {
        instant.withLock { $0 }
    }

    /// Moves the clock forward by `duration`.
    func advance(by duration: Duration) {
        instant.withLock { $0 += duration }
    }
}
