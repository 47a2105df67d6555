internal import CFastCGI
internal import Glibc
import Logging
import Runtime

/// One worker thread: its `FCGX_Request`, its handler, and its loop of waiting for a connection and answering it.
///
/// Every idle worker waits for the listening socket in an epoll instance of its own that watches it with
/// `EPOLLEXCLUSIVE`, so a new connection wakes one worker, not all of them, and a worker that finishes while
/// connections are queued takes the next at once, without sleeping or waking anyone (as threads blocked in
/// `accept(2)` would, which cannot also watch the shutdown pipe).
final class FastCGIWorker: Sendable {
    private let pool: WorkerPool
    private let makeHandler: @Sendable () -> any FastCGIRequestHandler
    private let logger: Logger

    private static let firstBackoffMilliseconds: Int32 = 10
    private static let maximumBackoffMilliseconds: Int32 = 1000
    /// While stopping, how often a worker looks at the backlog again while requests are still in flight.
    private static let drainPollMilliseconds: Int32 = 50

    init(pool: WorkerPool, makeHandler: @escaping @Sendable () -> any FastCGIRequestHandler, logger: Logger) {
        self.pool = pool
        self.makeHandler = makeHandler
        self.logger = logger
    }

    /// Accepts and answers requests until the pool no longer needs this thread, then tells the pool that the thread
    /// has freed everything it held (its `FCGX_Request`, its handler, its epoll instance).
    func run() {
        let slot = pool.workerBegins()
        serve(slot: slot)
        pool.threadFinished(slot: slot)
    }

    /// The worker's loop; everything it allocates is freed when it returns.
    private func serve(slot: Int) {
        // Owned here: libfcgi keeps per-request state in it between `FCGX_Accept_r` and `FCGX_Finish_r`.
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        let events = EventWait(listener: pool.settings.listener, shutdownPipe: pool.settings.shutdownPipe)
        FCGX_InitRequest(request, pool.settings.listener, 0)
        // "Free the memory and, if close is true, IPC FD associated with the request (multi-thread safe)" (fcgiapp.h).
        defer { FCGX_Free(request, 1) }
        let handler = makeHandler()
        while accept(request, with: events) {
            pool.accepted(slot: slot)
            handler.handle(FastCGIRequest(request))
            // libfcgi closes a connection by shutting its sending side down and reading until nginx has closed its
            // own (select, up to 2 s), which spares a TCP peer a reset when input is left unread. Once the input
            // was read to its end nothing is left, and a plain close does: one system call instead of four, and no
            // wait for nginx. ("detached" is what libfcgi's close looks at.)
            if let input = request.pointee.in, FCGX_HasSeenEOF(input) != 0 { request.pointee.detached = 1 }
            // "Finish the request (accepted by FCGX_Accept_r)": flushes the output, closes the connection.
            FCGX_Finish_r(request)
            if pool.finished(slot: slot), pool.park() == .exit { return }
        }
    }

    /// Waits for a connection and accepts it; false when this worker is to end (no longer needed while idle, or
    /// stopping with nothing left to accept), in which case it is no longer counted.
    private func accept(_ request: UnsafeMutablePointer<FCGX_Request>, with events: EventWait) -> Bool {
        // Under load the next connection is already queued: taking it at once spares the wait for readiness (one
        // epoll_wait per request). An empty queue costs one accept that fails with EAGAIN before the wait.
        // Stopping goes through the wait, which decides what is still accepted.
        if !pool.isStopping, FCGX_Accept_r(request) == 0 { return true }
        var backoff: Int32 = 0
        while true {
            switch waitForConnection(events) {
            case .stop:
                pool.workerExits()
                return false
            case .idleTooLong:
                if pool.retireIdleWorker() { return false }
            case .failed(let error):
                // epoll/poll can fail (EINVAL once RLIMIT_NOFILE drops below 2, ENOMEM): back off, never spin.
                backoff = Self.nextBackoff(after: backoff)
                logger.warning("poll failed; retrying", metadata: ["errno": "\(error)", "retryInMs": "\(backoff)"])
                Pause.for(.milliseconds(backoff))
            case .connectionPending:
                let status = FCGX_Accept_r(request)
                if status == 0 { return true }
                let error = -status
                // The socket is non-blocking and shared: another worker (or process) took the connection first.
                if error == EAGAIN || error == EWOULDBLOCK || error == EINTR {
                    // Stopping, with new connections refused: the queue is empty and stays so.
                    if pool.isStopping && pool.noMoreConnectionsArrive {
                        pool.workerExits()
                        return false
                    }
                    continue
                }
                backoff = Self.nextBackoff(after: backoff)
                logger.warning(
                    "accept failed; retrying", metadata: ["errno": "\(error)", "retryInMs": "\(backoff)"])
                Pause.for(.milliseconds(backoff))
            }
        }
    }

    private enum Wake {
        case connectionPending
        case idleTooLong
        case stop
        case failed(errno: Int32)
    }

    private static func nextBackoff(after backoff: Int32) -> Int32 {
        backoff == 0 ? firstBackoffMilliseconds : min(backoff * 2, maximumBackoffMilliseconds)
    }

    /// Waits until a connection may be pending. Once shutdown was requested, only connections already queued
    /// count: the worker stops when the backlog is empty and no request is in flight.
    private func waitForConnection(_ events: EventWait) -> Wake {
        while true {
            if pool.isStopping {
                // Handing over: what is queued stays on the socket for the next process.
                if pool.settings.stopBehaviour == .handover { return .stop }
                var descriptor = pollfd(fd: pool.settings.listener, events: Int16(POLLIN), revents: 0)
                let ready = poll(&descriptor, 1, Self.drainPollMilliseconds)
                if ready < 0 && errno != EINTR { return .failed(errno: errno) }
                if ready > 0 { return .connectionPending }
                // Nothing queued: with new connections refused nothing will be; otherwise wait until the queue
                // stays empty while nothing is in flight.
                if pool.noMoreConnectionsArrive || !pool.hasBusyWorkers { return .stop }
                continue
            }
            let timeout = Int32(pool.settings.idleTimeout / .milliseconds(1))
            let ready = events.wait(timeoutMilliseconds: timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                return .failed(errno: errno)
            }
            if ready & 2 != 0 {
                pool.beginStopping()
                continue
            }
            // Readable, or in error: either way accept tells what happened, and its errors back off.
            if ready & 1 != 0 { return .connectionPending }
            return .idleTooLong
        }
    }
}

/// One worker's epoll instance: the listening socket (exclusive wake-ups) and the shutdown pipe.
private final class EventWait {
    private var descriptor: Int32 = -1
    private let listener: Int32
    private let shutdownPipe: Int32

    init(listener: Int32, shutdownPipe: Int32) {
        self.listener = listener
        self.shutdownPipe = shutdownPipe
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// -1 with errno, or a bit set: 1 the listener is readable, 2 the shutdown pipe is, 0 on timeout.
    ///
    /// The epoll instance is made on first use, and again after a failure (out of descriptors): a failure is
    /// reported like a failed poll, which backs off, and never leaves the worker without one for good.
    func wait(timeoutMilliseconds: Int32) -> Int32 {
        if descriptor < 0 {
            let created = tw_epoll_create()
            guard created >= 0 else { return -1 }
            guard tw_epoll_watch(created, listener, 1) == 0, tw_epoll_watch(created, shutdownPipe, 0) == 0 else {
                let failure = errno
                close(created)
                errno = failure
                return -1
            }
            descriptor = created
        }
        return tw_epoll_ready(descriptor, timeoutMilliseconds, listener)
    }
}
