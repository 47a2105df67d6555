internal import Glibc
import Logging
import Runtime

/// The worker threads of a ``FastCGIServer`` and who among them leads (see the server for the scheme).
final class WorkerPool: Sendable {
    struct Settings: Sendable {
        let listener: Int32
        let shutdownPipe: Int32
        let minimumWorkers: Int
        let maximumInFlight: Int
        let stackSize: Int
        let idleTimeout: Duration
    }

    /// Who is doing what; only read and written under the lock.
    struct State {
        /// Worker threads alive (starting ones included).
        var live = 0
        /// Workers answering a request.
        var busy = 0
        /// Workers waiting to lead.
        var idleFollowers = 0
        /// True while one worker waits for connections.
        var leaderPresent = false
        /// Set once by SIGTERM/SIGINT.
        var stopping = false
    }

    /// What a worker is to do next.
    enum Turn {
        case lead
        case exit
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
            state.withLock { $0.live += 1 }
            guard startWorker() else { break }
        }
        return state.withLock { $0.live } > 0
    }

    /// Stops taking new work once the backlog is empty, waits until every worker has ended.
    func stop() {
        state.withLockNotifying { $0.stopping = true }
        _ = state.wait(until: nil) { $0.live == 0 ? true : nil }
    }

    /// True once shutdown was requested.
    var isStopping: Bool { state.withLock { $0.stopping } }

    /// True while some worker answers a request.
    var hasBusyWorkers: Bool { state.withLock { $0.busy > 0 } }

    /// Called by a leader that saw the shutdown pipe: every waiting follower must look again.
    func beginStopping() {
        state.withLockNotifying { $0.stopping = true }
    }

    /// Waits until the calling worker may lead, or should end: with a leader already there while stopping, or
    /// after ``Settings/idleTimeout`` without work when more than the minimum are alive.
    func nextTurn() -> Turn {
        while true {
            let deadline = ContinuousClock.now + settings.idleTimeout
            var registered = false
            let turn = state.wait(until: deadline) { state -> Turn? in
                if !state.leaderPresent {
                    if registered { state.idleFollowers -= 1 }
                    state.leaderPresent = true
                    return .lead
                }
                if state.stopping {
                    if registered { state.idleFollowers -= 1 }
                    state.live -= 1
                    return .exit
                }
                if !registered {
                    registered = true
                    state.idleFollowers += 1
                }
                return nil
            }
            if let turn { return turn }
            let trimmed = state.withLockNotifying { state -> Bool in
                state.idleFollowers -= 1
                guard state.live > settings.minimumWorkers else { return false }
                state.live -= 1
                return true
            }
            if trimmed { return .exit }
        }
    }

    /// The leader accepted a connection: leadership passes to an idle follower, or to a new worker when none is
    /// idle and the cap allows one more.
    func leaderAccepted() {
        var startNewWorker = false
        let stopping = state.withLock { $0.stopping }
        let update = { (state: inout State) in
            state.leaderPresent = false
            state.busy += 1
            if state.idleFollowers == 0 && state.live < self.settings.maximumInFlight {
                state.live += 1
                startNewWorker = true
            }
        }
        // While stopping, the main thread waits on the same condition: wake everyone then.
        if stopping {
            state.withLockNotifying(update)
        } else {
            state.withLockSignalingOne(update)
        }
        if startNewWorker { _ = startWorker() }
    }

    /// The leader ends (stopping, nothing left to accept): someone else may lead, or everyone ends.
    func leaderExits() {
        state.withLockNotifying { state in
            state.leaderPresent = false
            state.live -= 1
        }
    }

    /// A worker finished answering its request. Nobody waits for this (a draining leader polls `busy`), so it
    /// wakes no one: waking every idle follower per request would be a thundering herd.
    func requestFinished() {
        state.withLock { $0.busy -= 1 }
    }

    /// A worker thread is leaving (its thread returns right after).
    func workerEnded() {
        state.broadcast()
    }

    /// Starts one worker thread, already counted in `live`; on failure the count is taken back.
    private func startWorker() -> Bool {
        let worker = FastCGIWorker(pool: self, makeHandler: makeHandler, logger: logger)
        do {
            try Threads.detach(stackSize: settings.stackSize) { worker.run() }
            return true
        } catch {
            state.withLockNotifying { $0.live -= 1 }
            logger.warning(
                "cannot start a worker thread; answering with the threads there are",
                metadata: ["errno": "\(error.errno)"])
            return false
        }
    }
}
