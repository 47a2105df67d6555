import Logging
import Runtime

/// The worker threads of a ``FastCGIServer``: how many live, how many wait for a connection, how many answer one.
final class WorkerPool: Sendable {
    struct Settings: Sendable {
        let listener: Int32
        let shutdownPipe: Int32
        let minimumWorkers: Int
        let maximumInFlight: Int
        let stackSize: Int
        let idleTimeout: Duration
        let stopBehaviour: StopBehaviour
    }

    /// Who is doing what; only read and written under the lock.
    struct State {
        /// Worker threads alive (starting ones included).
        var live = 0
        /// Workers not answering a request: waiting for a connection (or about to).
        var idle = 0
        /// Set once by SIGTERM/SIGINT.
        var stopping = false
        /// Set once the listening socket refuses new connections: an empty queue then stays empty.
        var noMoreConnections = false

        /// Workers answering a request.
        var busy: Int { live - idle }
    }

    let settings: Settings
    private let makeHandler: @Sendable () -> any FastCGIRequestHandler
    private let logger: Logger
    private let state = ConditionLock(State())

    init(settings: Settings, makeHandler: @escaping @Sendable () -> any FastCGIRequestHandler, logger: Logger) {
        self.settings = settings
        self.makeHandler = makeHandler
        self.logger = logger
    }

    /// Starts the minimum number of workers; false when not even one could be started.
    func startInitialWorkers() -> Bool {
        for _ in 0..<settings.minimumWorkers {
            state.withLock { state in
                state.live += 1
                state.idle += 1
            }
            guard startWorker() else { break }
        }
        return state.withLock { $0.live } > 0
    }

    /// Asks every worker to stop once the backlog is empty, and waits until every worker has ended.
    func stop() {
        beginStopping()
        _ = state.wait(until: nil) { $0.live == 0 ? true : nil }
    }

    /// True once shutdown was requested.
    var isStopping: Bool { state.withLock { $0.stopping } }

    /// True once the listening socket refuses new connections (while stopping).
    var noMoreConnectionsArrive: Bool { state.withLock { $0.noMoreConnections } }

    /// The listening socket refuses new connections from now on.
    func newConnectionsRefused() {
        state.withLockNotifying { $0.noMoreConnections = true }
    }

    /// True while some worker answers a request.
    var hasBusyWorkers: Bool { state.withLock { $0.busy > 0 } }

    /// Shutdown was requested (by a signal the calling worker or the main thread saw).
    func beginStopping() {
        state.withLockNotifying { $0.stopping = true }
    }

    /// The calling worker accepted a connection. When it was the last idle one and the cap allows, a new worker
    /// starts, so that some thread is always waiting for the next connection: a request waiting on a slow upstream
    /// never delays the others. At the cap, connections wait in the listen backlog.
    func accepted() {
        let startNewWorker = state.withLock { state -> Bool in
            state.idle -= 1
            guard state.idle == 0, state.live < settings.maximumInFlight, !state.stopping else { return false }
            state.live += 1
            state.idle += 1
            return true
        }
        if startNewWorker { _ = startWorker() }
    }

    /// The calling worker finished answering its request.
    func finished() {
        state.withLock { $0.idle += 1 }
    }

    /// Whether the calling idle worker should end after ``Settings/idleTimeout`` without work: when more than the
    /// minimum are idle. If so it is no longer counted.
    func retireIdleWorker() -> Bool {
        state.withLockNotifying { state -> Bool in
            guard state.idle > settings.minimumWorkers, !state.stopping else { return false }
            state.live -= 1
            state.idle -= 1
            return true
        }
    }

    /// The calling idle worker ends (stopping, nothing left to accept).
    func workerExits() {
        state.withLockNotifying { state in
            state.live -= 1
            state.idle -= 1
        }
    }

    /// Starts one worker thread, already counted as live and idle; on failure the counts are taken back.
    private func startWorker() -> Bool {
        let worker = FastCGIWorker(pool: self, makeHandler: makeHandler, logger: logger)
        do {
            try Threads.detach(stackSize: settings.stackSize) { worker.run() }
            return true
        } catch {
            state.withLockNotifying { state in
                state.live -= 1
                state.idle -= 1
            }
            logger.warning(
                "cannot start a worker thread; answering with the threads there are",
                metadata: ["errno": "\(error.errno)"])
            return false
        }
    }
}
