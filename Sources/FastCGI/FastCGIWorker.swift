internal import CFastCGI
internal import Glibc
import Logging
import Runtime

/// One worker thread: its `FCGX_Request`, its handler, and its turns as leader (accepting) and as responder.
final class FastCGIWorker: @unchecked Sendable {
    private let pool: WorkerPool
    private let makeHandler: @Sendable () -> any FastCGIRequestHandler
    private let logger: Logger
    /// Owned here: libfcgi keeps per-request state in it between `FCGX_Accept_r` and `FCGX_Finish_r`.
    private let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)

    private static let firstBackoffMilliseconds: Int32 = 10
    private static let maximumBackoffMilliseconds: Int32 = 1000
    /// While stopping, how often the leader looks at the backlog again while requests are still in flight.
    private static let drainPollMilliseconds: Int32 = 50

    init(pool: WorkerPool, makeHandler: @escaping @Sendable () -> any FastCGIRequestHandler, logger: Logger) {
        self.pool = pool
        self.makeHandler = makeHandler
        self.logger = logger
    }

    deinit {
        request.deallocate()
    }

    /// Leads, answers, follows, until the pool no longer needs this thread.
    func run() {
        FCGX_InitRequest(request, pool.settings.listener, 0)
        let handler = makeHandler()
        defer {
            FCGX_Free(request, 1)
            pool.workerEnded()
        }
        while pool.nextTurn() == .lead {
            guard acceptAsLeader() else {
                pool.leaderExits()
                return
            }
            pool.leaderAccepted()
            handler.handle(FastCGIRequest(request))
            // "Finish the request (accepted by FCGX_Accept_r)": flushes the output, closes the connection.
            FCGX_Finish_r(request)
            pool.requestFinished()
        }
    }

    /// Waits for a connection and accepts it; false when the server stops and nothing is left to accept.
    private func acceptAsLeader() -> Bool {
        var backoff: Int32 = 0
        while true {
            switch waitForConnection() {
            case .stop:
                return false
            case .failed(let error):
                // poll itself can fail (EINVAL once RLIMIT_NOFILE drops below 2, ENOMEM): back off, never spin.
                backoff = Self.nextBackoff(after: backoff)
                logger.warning("poll failed; retrying", metadata: ["errno": "\(error)", "retryInMs": "\(backoff)"])
                pause(milliseconds: backoff)
            case .connectionPending:
                let status = FCGX_Accept_r(request)
                if status == 0 { return true }
                let error = -status
                // The socket is non-blocking and shared: another process took the connection first.
                if error == EAGAIN || error == EWOULDBLOCK || error == EINTR { continue }
                backoff = Self.nextBackoff(after: backoff)
                logger.warning(
                    "accept failed; retrying", metadata: ["errno": "\(error)", "retryInMs": "\(backoff)"])
                pause(milliseconds: backoff)
            }
        }
    }

    private enum Wake {
        case connectionPending
        case stop
        case failed(errno: Int32)
    }

    private static func nextBackoff(after backoff: Int32) -> Int32 {
        backoff == 0 ? firstBackoffMilliseconds : min(backoff * 2, maximumBackoffMilliseconds)
    }

    /// Waits until a connection may be pending. Once shutdown was requested, only connections already queued
    /// count: the leader stops when the backlog is empty and no request is in flight.
    private func waitForConnection() -> Wake {
        var descriptors = [
            pollfd(fd: pool.settings.listener, events: Int16(POLLIN), revents: 0),
            pollfd(fd: pool.settings.shutdownPipe, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let stopping = pool.isStopping
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            let ready = poll(&descriptors, stopping ? 1 : 2, stopping ? Self.drainPollMilliseconds : -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return .failed(errno: errno)
            }
            // Readable, or in error: either way accept tells what happened, and its errors back off.
            if descriptors[0].revents != 0 { return .connectionPending }
            if stopping {
                if !pool.hasBusyWorkers { return .stop }
            } else if descriptors[1].revents != 0 {
                pool.beginStopping()
            }
        }
    }

    /// Sleeps `milliseconds` between two attempts (cut short by shutdown, which the next poll then sees).
    private func pause(milliseconds: Int32) {
        // While stopping, the pipe stays readable and would cut every pause short: sleep instead.
        var descriptor = pollfd(fd: pool.settings.shutdownPipe, events: Int16(POLLIN), revents: 0)
        if pool.isStopping || (poll(&descriptor, 1, milliseconds) < 0 && errno != EINTR) {
            Pause.for(.milliseconds(milliseconds))
        }
    }
}
