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
        while waitForConnection() {
            let status = FCGX_Accept_r(request)
            if status == 0 {
                backoff = 0
                handler.handle(FastCGIRequest(request))
                // "Finish the request (accepted by FCGX_Accept_r)": flushes the output and closes the connection.
                FCGX_Finish_r(request)
                continue
            }
            let error = -status
            // The socket is non-blocking and shared: another worker (or process) took the connection first.
            if error == EAGAIN || error == EWOULDBLOCK || error == EINTR { continue }
            backoff = backoff == 0 ? Self.firstBackoffMilliseconds : min(backoff * 2, Self.maximumBackoffMilliseconds)
            logger.warning(
                "accept failed; retrying",
                metadata: ["errno": "\(error)", "retryInMs": "\(backoff)", "worker": "\(index)"])
            if shutdownRequested(waitingMilliseconds: backoff) { break }
        }
        FCGX_Free(request, 1)
    }

    /// Waits until a connection may be pending (true) or shutdown was requested (false).
    private func waitForConnection() -> Bool {
        var descriptors = [
            pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
            pollfd(fd: shutdownPipe, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            if descriptors[1].revents != 0 { return false }
            // Readable, or in error: either way accept tells what happened, and errors back off.
            if ready > 0 { return true }
        }
    }

    /// Sleeps up to `milliseconds`, waking early (true) when shutdown is requested.
    private func shutdownRequested(waitingMilliseconds milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: shutdownPipe, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, milliseconds) > 0
    }
}
