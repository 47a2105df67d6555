internal import CFastCGI
internal import Glibc
import Logging
import Runtime

/// A threaded FastCGI responder whose worker threads grow with the requests stuck in flight, up to a cap.
///
/// The lifecycle follows libfcgi's `examples/threaded.c` (`FCGX_Init` once, then per thread an `FCGX_Request` and
/// `FCGX_Accept_r`), with workers that come and go:
/// - every idle worker waits for a connection in an epoll instance of its own, watching the listening socket with
///   `EPOLLEXCLUSIVE` (a new connection wakes one worker, not all) and the shutdown pipe. A worker that finishes
///   while connections are queued takes the next at once: under load nothing sleeps or wakes.
/// - while requests are in flight a supervising thread watches: when every worker is busy and no request is
///   answered for a few milliseconds, they are stuck waiting (an upstream, the database), and it starts more, up
///   to `maximumInFlight` (1, 2, 4… per period while that lasts). A request waiting on a slow upstream
///   therefore holds one thread, never the others' turn: health checks and other tenants keep being answered.
///   Under a load that only needs the processor, answers keep coming and the pool stays at `minimumWorkers`:
///   threads beyond the cores' need would only compete for them. For the same reason a worker beyond the minimum
///   that finishes parks (waits on a condition of its own, which new connections never signal) while enough others
///   serve the requests that are not stuck; the supervisor calls parked workers back before it starts threads.
/// - with `maximumInFlight` requests in flight nobody accepts: further connections wait in the listen backlog.
/// - workers beyond `minimumWorkers` that stayed idle or parked for ``idleTimeout`` end, so a burst leaves no thread
///   behind.
/// - on SIGTERM/SIGINT, with ``StopBehaviour/drain``, a unix socket refuses new connections at once and the workers
///   accept until its queue is empty (connections already queued are answered, not reset; a TCP socket is drained
///   until its queue stays empty); with ``StopBehaviour/handover`` nothing more is accepted and the queue is left
///   to the next process. Every request in flight finishes, and ``run(makeHandler:)`` returns once every thread has
///   freed its libfcgi state (`FCGX_Free`).
/// - an accept or poll error (EMFILE, ENFILE, ENOMEM, …) never ends the server: it backs off (10 ms doubling to
///   1 s) and tries again.
public final class FastCGIServer: Sendable {
    /// How long a worker beyond the minimum may stay idle before it ends.
    public static let idleTimeout: Duration = .seconds(30)

    private let listener: FastCGIListener
    private let minimumWorkers: Int
    private let maximumInFlight: Int
    private let stackSize: Int
    private let stopBehaviour: StopBehaviour
    private let logger: Logger

    /// A server for `listener` that keeps `minimumWorkers` threads ready and answers at most `maximumInFlight`
    /// requests at once, each worker thread on a stack of `stackSize` bytes, stopping as `stopBehaviour` says.
    public init(
        listener: FastCGIListener, minimumWorkers: Int, maximumInFlight: Int,
        stackSize: Int = Threads.defaultStackSize, stopBehaviour: StopBehaviour = .drain, logger: Logger
    ) {
        self.listener = listener
        self.stopBehaviour = stopBehaviour
        self.maximumInFlight = max(1, maximumInFlight)
        self.minimumWorkers = min(max(1, minimumWorkers), self.maximumInFlight)
        self.stackSize = stackSize
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT, then answers what is queued and in flight, and returns.
    ///
    /// `makeHandler` runs once on each worker thread when it starts; the handler stays on that thread.
    public func run(makeHandler: @escaping @Sendable () -> any FastCGIRequestHandler) throws(FastCGIError) {
        let shutdown = try ShutdownSignal.install()
        let status = FCGX_Init()
        guard status == 0 else { throw .initializationFailed(code: status) }
        let pool = WorkerPool(
            settings: WorkerPool.Settings(
                listener: listener.descriptor, shutdownPipe: shutdown.readEnd, minimumWorkers: minimumWorkers,
                maximumInFlight: maximumInFlight, stackSize: stackSize, idleTimeout: Self.idleTimeout,
                stopBehaviour: stopBehaviour),
            makeHandler: makeHandler, logger: logger)

        // Workers never take the signals; this thread does, and the handler wakes everyone through the pipe.
        setShutdownSignalsBlocked(true)
        let started = pool.startInitialWorkers()
        setShutdownSignalsBlocked(false)
        guard started else {
            pool.stop()
            throw .cannotStartWorkers(errno: EAGAIN)
        }
        logger.info(
            "serving", metadata: ["threads": "\(minimumWorkers)", "maxRequests": "\(maximumInFlight)"])

        shutdown.wait()
        var stopping: Logger.Metadata = ["onStop": .string(stopBehaviour.rawValue)]
        switch stopBehaviour {
        case .drain:
            let refusing = listener.refuseNewConnections()
            if refusing { pool.newConnectionsRefused() }
            stopping["queued"] = "answered"
            stopping["newConnections"] = refusing ? "refused" : "accepted until the queue stays empty"
        case .handover:
            stopping["queued"] = "left for the next process"
        }
        logger.info("shutting down: finishing requests in flight", metadata: stopping)
        pool.stop()
        logger.info("stopped")
    }
}
