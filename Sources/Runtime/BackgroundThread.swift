internal import Glibc

/// A thread of the simulator's own (the clock tick, webhook delivery) that can be woken early and stopped.
///
/// A pthread mutex and condition variable (on the monotonic clock) let the thread sleep until it is woken, a
/// timeout passes or it is told to stop. `stop()` joins it.
public final class BackgroundThread: @unchecked Sendable {
    // Heap-allocated so their addresses never change (pthread objects must not move).
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var stopRequested = false
    private var wakeRequested = false
    private var thread: pthread_t?

    /// A thread not started yet.
    public init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
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

    /// Starts the thread running `body`; false when the thread could not be created.
    public func start(_ body: @escaping @Sendable (BackgroundThread) -> Void) -> Bool {
        let context = Unmanaged.passRetained(BackgroundThreadContext(thread: self, body: body)).toOpaque()
        var handle = pthread_t()
        guard pthread_create(&handle, nil, runBackgroundThread, context) == 0 else {
            Unmanaged<BackgroundThreadContext>.fromOpaque(context).release()
            return false
        }
        locked { thread = handle }
        return true
    }

    /// Wakes the thread if it waits.
    public func wake() {
        locked {
            wakeRequested = true
            pthread_cond_signal(condition)
        }
    }

    /// Waits until woken, stopped or `timeout` has passed (nil: no timeout). False once stop was requested.
    public func wait(upTo timeout: Duration?) -> Bool {
        locked {
            var deadline = timespec()
            if let timeout {
                clock_gettime(CLOCK_MONOTONIC, &deadline)
                let (seconds, attoseconds) = timeout.components
                let nanoseconds = deadline.tv_nsec + Int(attoseconds / 1_000_000_000)
                deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
                deadline.tv_nsec = nanoseconds % 1_000_000_000
            }
            while !stopRequested && !wakeRequested {
                let status =
                    timeout == nil
                    ? pthread_cond_wait(condition, mutex) : pthread_cond_timedwait(condition, mutex, &deadline)
                if status == ETIMEDOUT { break }
            }
            wakeRequested = false
            return !stopRequested
        }
    }

    /// Asks the thread to stop and waits for it to end.
    public func stop() {
        let handle: pthread_t? = locked {
            stopRequested = true
            pthread_cond_signal(condition)
            defer { thread = nil }
            return thread
        }
        if let handle { pthread_join(handle, nil) }
    }

    private func locked<Result>(_ body: () -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

/// What the thread entry point needs: passed through pthread's `void *` argument.
private final class BackgroundThreadContext {
    let thread: BackgroundThread
    let body: @Sendable (BackgroundThread) -> Void

    init(thread: BackgroundThread, body: @escaping @Sendable (BackgroundThread) -> Void) {
        self.thread = thread
        self.body = body
    }
}

/// The thread entry point: a free function, since a closure from actor-isolated code traps on another thread.
private func runBackgroundThread(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let work = Unmanaged<BackgroundThreadContext>.fromOpaque(context).takeRetainedValue()
    work.body(work.thread)
    return nil
}
