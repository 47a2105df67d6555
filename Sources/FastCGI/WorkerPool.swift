import Logging
import Runtime

/// The worker threads of a ``FastCGIServer``: starts them, parks and recalls them, and waits for them to end, as its
/// ``WorkerPoolPolicy`` decides.
///
/// Two conditions: the pool's (the policy behind it; the supervisor and ``stop()`` wait on it) and the parked
/// workers' own (call-backs and shutdown), so a worker taking a connection never wakes a parked one. A call-back is
/// a ticket on the parking condition, issued while the pool's lock is held (lock order: pool, then parking), so the
/// policy's `recalled` and the tickets never disagree where a parked worker decides to leave.
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

    /// What the parked workers wait for.
    private struct Parking {
        /// Call-backs issued and not yet taken; each wakes one parked worker.
        var recallTickets = 0
        /// Shutdown was requested: parked workers end.
        var stopping = false

        /// Takes a call-back, if one is waiting.
        mutating func takeTicket() -> Bool {
            guard recallTickets > 0 else { return false }
            recallTickets -= 1
            return true
        }
    }

    let settings: Settings
    private let makeHandler: @Sendable () -> any FastCGIRequestHandler
    private let logger: Logger
    private let policy: ConditionLock<WorkerPoolPolicy>
    private let parking = ConditionLock(Parking())

    init(settings: Settings, makeHandler: @escaping @Sendable () -> any FastCGIRequestHandler, logger: Logger) {
        self.settings = settings
        self.makeHandler = makeHandler
        self.logger = logger
        policy = ConditionLock(
            WorkerPoolPolicy(
                limits: .init(minimumWorkers: settings.minimumWorkers, maximumWorkers: settings.maximumInFlight)))
    }

    /// Starts the minimum number of workers, and the supervisor when the pool can grow; false when not even one
    /// worker could be started.
    func startInitialWorkers() -> Bool {
        let minimum = policy.withLock { $0.limits.minimumWorkers }
        for _ in 0..<minimum {
            policy.withLock { $0.workerStarting() }
            guard startWorker() else { break }
        }
        guard policy.withLock({ $0.counters.live }) > 0 else { return false }
        guard policy.withLock({ $0.grows }) else { return true }
        policy.withLock { $0.supervisorStarting() }
        do {
            try Threads.detach(stackSize: 64 * 1024) { [self] in superviseGrowth() }
        } catch {
            policy.withLockNotifying { $0.supervisorEnded() }
            logger.warning(
                "cannot start the thread that adds workers; serving with the minimum",
                metadata: ["errno": "\(error.errno)"])
        }
        return true
    }

    /// Asks every thread to stop once the backlog is empty, and returns when every worker has freed its libfcgi
    /// state and the supervisor has ended.
    func stop() {
        beginStopping()
        _ = policy.wait(until: nil) { $0.allThreadsFinished ? true : nil }
    }

    /// True once shutdown was requested.
    var isStopping: Bool { policy.withLock { $0.counters.stopping } }

    /// True once the listening socket refuses new connections (while stopping).
    var noMoreConnectionsArrive: Bool { policy.withLock { $0.counters.noMoreConnections } }

    /// True while some worker answers a request.
    var hasBusyWorkers: Bool { policy.withLock { $0.counters.busy > 0 } }

    /// The listening socket refuses new connections from now on.
    func newConnectionsRefused() {
        policy.withLock { $0.newConnectionsRefused() }
    }

    /// Shutdown was requested (by a signal the calling worker or the main thread saw): wakes the supervisor and the
    /// parked workers.
    func beginStopping() {
        policy.withLockNotifying { $0.stopRequested() }
        parking.withLockNotifying { $0.stopping = true }
    }

    /// A worker thread runs: its slot.
    func workerBegins() -> Int {
        policy.withLock { $0.workerBegins() }
    }

    /// The worker of `slot` has left the pool and freed its libfcgi state: its thread ends.
    func threadFinished(slot: Int) {
        policy.withLockNotifying { $0.threadFinished(slot: slot) }
    }

    /// The worker of `slot` accepted a connection.
    func accepted(slot: Int) {
        let now = ContinuousClock.now
        if policy.withLock({ $0.accepted(slot: slot, at: now) }) { policy.broadcast() }
    }

    /// The worker of `slot` answered its request: true when it is to ``park()``.
    func finished(slot: Int) -> Bool {
        let now = ContinuousClock.now
        return policy.withLock { $0.finished(slot: slot, at: now) } == .park
    }

    /// What a parked worker does next.
    enum ParkEnd {
        /// It was called back: wait for connections again (counted idle).
        case resume
        /// It ends: parked for ``Settings/idleTimeout``, or stopping (no longer counted).
        case exit
    }

    /// Waits, parked, until the supervisor calls the worker back, the idle timeout passes or shutdown begins.
    func park() -> ParkEnd {
        let deadline = ContinuousClock.now + settings.idleTimeout
        let called = parking.wait(until: deadline) { parking -> Bool? in
            parking.takeTicket() ? true : (parking.stopping ? false : nil)
        }
        if called == true {
            policy.withLock { $0.recalledWorkerResumes() }
            return .resume
        }
        // A call-back issued between the wait's end and this lock counted on this worker: take it.
        return policy.withLock { policy -> ParkEnd in
            if parking.withLock({ $0.takeTicket() }) {
                policy.recalledWorkerResumes()
                return .resume
            }
            policy.parkedWorkerLeaves()
            return .exit
        }
    }

    /// Whether the calling idle worker should end after ``Settings/idleTimeout`` without work (more than the minimum
    /// are idle). If so it is no longer counted.
    func retireIdleWorker() -> Bool {
        policy.withLock { $0.idleTimedOut() }
    }

    /// The calling idle worker ends (stopping, nothing left to accept).
    func workerExits() {
        policy.withLock { $0.idleWorkerLeaves() }
    }

    /// Starts workers as the policy says while requests are in flight (see ``WorkerPoolPolicy/lookForStuckWorkers()``).
    ///
    /// It looks every ``WorkerPoolPolicy/Limits/stuckAfter`` while something is in flight, and sleeps otherwise:
    /// waking it costs the first connection after a quiet spell one broadcast of the pool's condition, never each
    /// connection under load.
    private func superviseGrowth() {
        defer { policy.withLockNotifying { $0.supervisorEnded() } }
        let period = policy.withLock { $0.limits.stuckAfter }
        while policy.wait(until: nil, { $0.supervisorWaitsForWork() }) == true {
            watch: while true {
                let stopping = policy.wait(until: .now + period) { $0.counters.stopping ? true : nil } ?? false
                if stopping { return }
                let growth = policy.withLock { policy -> WorkerPoolPolicy.Growth in
                    let growth = policy.lookForStuckWorkers()
                    if case .grow(let recall, _) = growth {
                        // Under the pool's lock, so a parked worker deciding to leave sees the tickets counted on it.
                        for _ in 0..<recall { parking.withLockSignalingOne { $0.recallTickets += 1 } }
                    }
                    return growth
                }
                switch growth {
                case .stop: return
                case .sleep: break watch
                case .watchAgain: continue
                case .grow(_, let start):
                    for _ in 0..<start { _ = startWorker() }
                }
            }
        }
    }

    /// Starts one worker thread, already counted as live and idle; on failure the counts are taken back.
    private func startWorker() -> Bool {
        let worker = FastCGIWorker(pool: self, makeHandler: makeHandler, logger: logger)
        do {
            try Threads.detach(stackSize: settings.stackSize) { worker.run() }
            return true
        } catch {
            policy.withLockNotifying { $0.workerDidNotStart() }
            logger.warning(
                "cannot start a worker thread; answering with the threads there are",
                metadata: ["errno": "\(error.errno)"])
            return false
        }
    }
}
