import CFastCGI
import Glibc
import Logging

/// One worker thread's accept loop and its `FCGX_Request`.
final class FastCGIWorker: @unchecked Sendable {
    private let index: Int
    private let listener: Int32
    private let shutdownPipe: Int32
    private let makeHandler: @Sendable (Int) -> any FastCGIRequestHandler
    private let logger: Logger
    /// Owned here: libfcgi keeps per-request state in it between `FCGX_Accept_r` and `FCGX_Finish_r`.
    private let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)

    private static let firstBackoffMilliseconds: Int32 = 10
    private static let maximumBackoffMilliseconds: Int32 = 1000

    init(
        index: Int, listener: Int32, shutdownPipe: Int32,
        makeHandler: @escaping @Sendable (Int) -> any FastCGIRequestHandler, logger: Logger
    ) {
        self.index = index
        self.listener = listener
        self.shutdownPipe = shutdownPipe
        self.makeHandler = makeHandler
        self.logger = logger
    }

    deinit {
        request.deallocate()
    }

    /// Accepts and answers requests until shutdown is requested.
    func run() {
        FCGX_InitRequest(request, listener, 0)
        let handler = makeHandler(index)
        var backoff: Int32 = 0
        defer { FCGX_Free(request, 1) }
        while true {
            switch waitForConnection() {
            case .shutdown:
                return
            case .failed(let error):
                // poll itself can fail (EINVAL once RLIMIT_NOFILE drops below 2, ENOMEM): back off, never spin.
                backoff = Self.nextBackoff(after: backoff)
                logger.warning(
                    "poll failed; retrying",
                    metadata: ["errno": "\(error)", "retryInMs": "\(backoff)", "worker": "\(index)"])
                guard pauseUnlessShutdown(milliseconds: backoff) else { return }
            case .connectionPending:
                let status = FCGX_Accept_r(request)
                if status == 0 {
                    backoff = 0
                    handler.handle(FastCGIRequest(request))
                    // "Finish the request (accepted by FCGX_Accept_r)": flushes the output, closes the connection.
                    FCGX_Finish_r(request)
                    continue
                }
                let error = -status
                // The socket is non-blocking and shared: another worker (or process) took the connection first.
                if error == EAGAIN || error == EWOULDBLOCK || error == EINTR { continue }
                backoff = Self.nextBackoff(after: backoff)
                logger.warning(
                    "accept failed; retrying",
                    metadata: ["errno": "\(error)", "retryInMs": "\(backoff)", "worker": "\(index)"])
                guard pauseUnlessShutdown(milliseconds: backoff) else { return }
            }
        }
    }

    private enum Wake {
        case connectionPending
        case shutdown
        case failed(errno: Int32)
    }

    private static func nextBackoff(after backoff: Int32) -> Int32 {
        backoff == 0 ? firstBackoffMilliseconds : min(backoff * 2, maximumBackoffMilliseconds)
    }

    /// Waits until a connection may be pending or shutdown was requested.
    private func waitForConnection() -> Wake {
        var descriptors = [
            pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
            pollfd(fd: shutdownPipe, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return .failed(errno: errno)
            }
            if descriptors[1].revents != 0 { return .shutdown }
            // Readable, or in error: either way accept tells what happened, and its errors back off.
            if ready > 0 { return .connectionPending }
        }
    }

    /// Sleeps `milliseconds`, returning early with false when shutdown is requested; true after a full pause.
    private func pauseUnlessShutdown(milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: shutdownPipe, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready > 0 { return false }
        if ready < 0 && errno != EINTR {
            var pause = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
            nanosleep(&pause, nil)
        }
        return true
    }
}
