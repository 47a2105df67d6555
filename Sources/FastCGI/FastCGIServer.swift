import CFastCGI
import Glibc
import Logging

/// A threaded FastCGI responder: N worker threads, each accepting and answering requests one at a time.
///
/// The lifecycle follows libfcgi's `examples/threaded.c`: `FCGX_Init` once, then per thread an `FCGX_Request`
/// and a loop on `FCGX_Accept_r`. Two changes make it production-safe:
/// - workers wait in `poll(2)` on the listening socket *and* the shutdown pipe, so SIGTERM/SIGINT stop them
///   between requests while requests in flight run to completion;
/// - an accept error (EMFILE, ENFILE, ENOMEM, …) never ends a worker: it backs off (10 ms doubling to 1 s) and
///   tries again.
public final class FastCGIServer: Sendable {
    private let listener: FastCGIListener
    private let threadCount: Int
    private let logger: Logger

    /// A server for `listener` with `threadCount` worker threads.
    public init(listener: FastCGIListener, threadCount: Int, logger: Logger) {
        self.listener = listener
        self.threadCount = max(1, threadCount)
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT, then lets every request in flight finish and returns.
    ///
    /// `makeHandler` runs once on each worker thread, with the worker's index; the handler stays on that thread.
    public func run(makeHandler: @escaping @Sendable (Int) -> any FastCGIRequestHandler) throws(FastCGIError) {
        let shutdown = try ShutdownSignal.install()
        let status = FCGX_Init()
        guard status == 0 else { throw .initializationFailed(code: status) }

        // Workers never take the signals; this thread does, and the handler wakes everyone through the pipe.
        setShutdownSignalsBlocked(true)
        var threads: [pthread_t] = []
        for index in 0..<threadCount {
            let worker = FastCGIWorker(
                index: index, listener: listener.descriptor, shutdownPipe: shutdown.readEnd,
                makeHandler: makeHandler, logger: logger)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(worker).toOpaque()
            let created = pthread_create(&thread, nil, runWorker, context)
            guard created == 0 else {
                Unmanaged<FastCGIWorker>.fromOpaque(context).release()
                setShutdownSignalsBlocked(false)
                ShutdownSignal.trigger()
                threads.forEach { pthread_join($0, nil) }
                throw .cannotStartWorkers(errno: created)
            }
            threads.append(thread)
        }
        setShutdownSignalsBlocked(false)
        logger.info("serving", metadata: ["threads": "\(threadCount)"])

        shutdown.wait()
        logger.info("shutting down: finishing requests in flight")
        threads.forEach { pthread_join($0, nil) }
        logger.info("stopped")
    }
}

/// The thread entry point: a free function, since a closure from main-actor code traps on another thread.
private func runWorker(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let worker = Unmanaged<FastCGIWorker>.fromOpaque(context).takeRetainedValue()
    worker.run()
    return nil
}
