/// A background thread (the simulator's clock tick and webhook delivery, a lease's renewals) that can be woken early
/// and stopped.
///
/// Built on ``ConditionLock`` and ``Threads``: the thread sleeps until it is woken, a timeout passes or it is told
/// to stop; `stop()` waits until its body has returned.
public final class BackgroundThread: Sendable {
    private struct State {
        var stopRequested = false
        var wakeRequested = false
        var running = false
    }

    private let state = ConditionLock(State())

    /// A thread not started yet.
    public init() {}

    /// Starts the thread running `body`; false when the thread could not be created.
    public func start(_ body: @escaping @Sendable (BackgroundThread) -> Void) -> Bool {
        state.withLock { $0.running = true }
        do {
            try Threads.detach { [self] in
                body(self)
                state.withLockNotifying { $0.running = false }
            }
            return true
        } catch {
            state.withLock { $0.running = false }
            return false
        }
    }

    /// Wakes the thread if it waits.
    public func wake() {
        state.withLockNotifying { $0.wakeRequested = true }
    }

    /// Waits until woken, stopped or `timeout` has passed (nil: no timeout). False once stop was requested.
    public func wait(upTo timeout: Duration?) -> Bool {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        _ = state.wait(until: deadline) { $0.stopRequested || $0.wakeRequested ? true : nil }
        return state.withLock { state in
            state.wakeRequested = false
            return !state.stopRequested
        }
    }

    /// Asks the thread to stop and waits for it to end.
    public func stop() {
        state.withLockNotifying { $0.stopRequested = true }
        _ = state.wait(until: nil) { $0.running ? nil : true }
    }
}
