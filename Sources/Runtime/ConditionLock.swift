internal import Glibc

/// State shared between threads, behind one mutex, with a condition variable to wait for changes of it.
///
/// The one place the product's threads synchronise: every read and write of `State` happens inside
/// ``withLock(_:)`` or a wait, and a change another thread may be waiting for is followed by ``broadcast()`` (or
/// made through ``withLockNotifying(_:)``). Waits have deadlines on the monotonic clock, so a wall-clock step never
/// stretches or cuts them.
public final class ConditionLock<State>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Only touched with `mutex` held.
    private var state: State

    /// A lock around `state`.
    public init(_ state: State) {
        self.state = state
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Timed waits count on CLOCK_MONOTONIC, as ContinuousClock deadlines do, not on the settable wall clock.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the state, holding the lock.
    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }

    /// Runs `body` with the state, holding the lock, then wakes every waiter to look at the new state.
    public func withLockNotifying<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&state)
    }

    /// Runs `body` with the state, holding the lock, then wakes one waiter (any one): for hand-offs where every
    /// waiter waits for the same thing and one is enough.
    public func withLockSignalingOne<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        }
        return try body(&state)
    }

    /// Wakes every thread waiting in ``wait(until:_:)``.
    public func broadcast() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until `body` returns a value, calling it with the lock held each time the state may have changed, or
    /// until `deadline` passes (nil: no deadline). Returns `body`'s value, or nil when the deadline came first.
    ///
    /// `body` may change the state (take what it waited for); it runs once more after the deadline, so a value
    /// that arrived just in time is not missed.
    public func wait<Result>(
        until deadline: ContinuousClock.Instant?, _ body: (inout State) throws -> Result?
    ) rethrows -> Result? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = try body(&state) { return result }
            guard let deadline else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            let left = deadline - .now
            guard left > .zero else { return nil }
            var wakeAt = MonotonicTime.now(plus: left)
            _ = pthread_cond_timedwait(condition, mutex, &wakeAt)
        }
    }
}

/// CLOCK_MONOTONIC instants as `timespec`, for `pthread_cond_timedwait`.
enum MonotonicTime {
    /// The monotonic time `offset` from now.
    static func now(plus offset: Duration) -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        let (seconds, attoseconds) = offset.components
        var nanoseconds = Int(time.tv_nsec) + Int(attoseconds / 1_000_000_000)
        var wholeSeconds = Int(time.tv_sec) + Int(seconds)
        if nanoseconds >= 1_000_000_000 {
            wholeSeconds += nanoseconds / 1_000_000_000
            nanoseconds %= 1_000_000_000
        }
        return timespec(tv_sec: wholeSeconds, tv_nsec: nanoseconds)
    }
}
