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
        /// Worker threads alive (starting ones included, parked ones too).
        var live = 0
        /// Workers not answering a request: waiting for a connection (or about to).
        var idle = 0
        /// Workers beyond the minimum set aside: they wait on the lock, not on the listening socket, so new
        /// connections do not wake them, until the supervisor needs them again or they end.
        var parked = 0
        /// Parked workers the supervisor called back and that have not resumed yet.
        var recalled = 0
        /// Set once by SIGTERM/SIGINT.
        var stopping = false
        /// Set once the listening socket refuses new connections: an empty queue then stays empty.
        var noMoreConnections = false
        /// Set while the growth supervisor sleeps because nothing is in flight: the next connection taken wakes it.
        var supervisorAsleep = false
        /// Requests answered so far: the supervisor tells flowing workers from stuck ones by it.
        var answered: UInt64 = 0
        /// When each busy worker took its connection, by the worker's slot (nil: not busy, or a free slot).
        var busySince: [ContinuousClock.Instant?] = []
        /// Slots of workers that ended, for the next ones.
        var freeSlots: [Int] = []

        /// Workers answering a request.
        var busy: Int { live - idle - parked }

        /// A parked worker takes a call-back, if there is one: it counts as idle again.
        mutating func resumeIfRecalled() -> Bool {
            guard recalled > 0 else { return false }
            recalled -= 1
            parked -= 1
            idle += 1
            return true
        }
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
        guard state.withLock({ $0.live }) > 0 else { return false }
        do {
            try Threads.detach(stackSize: 64 * 1024) { [self] in superviseGrowth() }
        } catch {
            logger.warning(
                "cannot start the thread that adds workers; serving with the minimum",
                metadata: ["errno": "\(error.errno)"])
        }
        return true
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

    /// The calling worker accepted a connection (see ``superviseGrowth()`` for what may start more workers).
    func accepted(slot: Int) {
        let now = ContinuousClock.now
        let wakeSupervisor = state.withLock { state -> Bool in
            state.idle -= 1
            state.busySince[slot] = now
            defer { state.supervisorAsleep = false }
            return state.supervisorAsleep
        }
        if wakeSupervisor { state.broadcast() }
    }

    /// A slot in ``State/busySince`` for a worker that starts; give it back with ``releaseSlot(_:)`` when it ends.
    func claimSlot() -> Int {
        state.withLock { state in
            if let slot = state.freeSlots.popLast() { return slot }
            state.busySince.append(nil)
            return state.busySince.count - 1
        }
    }

    /// The slot of a worker that ends.
    func releaseSlot(_ slot: Int) {
        state.withLock { state in
            state.busySince[slot] = nil
            state.freeSlots.append(slot)
        }
    }

    /// The calling worker finished answering its request. True when it is to park (``park()``): more workers than
    /// the minimum are at work on requests that are not stuck (taken less than ``stuckAfter`` ago) or waiting for
    /// connections, and another one already waits. Under a load that only needs the processor, the workers left
    /// from a burst of stuck requests would otherwise all wait on the socket and wake for its connections,
    /// competing with the minimum for the same cores; while requests are stuck, the minimum still serves the rest.
    func finished(slot: Int) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.answered &+= 1
            state.busySince[slot] = nil
            let working = state.live - state.parked
            guard !state.stopping, working > settings.minimumWorkers, state.idle >= 1 else {
                state.idle += 1
                return false
            }
            let stuck = state.busySince.reduce(0) { count, since in
                guard let since, now - since > Self.stuckAfter else { return count }
                return count + 1
            }
            guard working - stuck > settings.minimumWorkers else {
                state.idle += 1
                return false
            }
            state.parked += 1
            return true
        }
    }

    /// What a parked worker does next.
    enum ParkEnd {
        /// It was called back: wait for connections again (counted idle).
        case resume
        /// It ends: idle for ``Settings/idleTimeout`` while parked, or stopping (no longer counted).
        case exit
    }

    /// Waits, parked, until the supervisor calls the worker back, the idle timeout passes or shutdown begins.
    func park() -> ParkEnd {
        let deadline = ContinuousClock.now + settings.idleTimeout
        let resumed = state.wait(until: deadline) { state -> Bool? in
            state.stopping ? false : (state.resumeIfRecalled() ? true : nil)
        }
        if resumed == true { return .resume }
        // Notifying: a worker that ends changes what stop() waits for.
        return state.withLockNotifying { state -> ParkEnd in
            // Called back between the timeout and this lock: the supervisor counted on this worker.
            if !state.stopping && state.resumeIfRecalled() { return .resume }
            state.parked -= 1
            state.live -= 1
            return .exit
        }
    }

    /// How long the busy workers may answer nothing, with none idle, before more start.
    static let stuckAfter: Duration = .milliseconds(3)

    /// Starts workers when every worker is busy and none answered anything for ``stuckAfter``: they wait on
    /// something (an upstream, the database), and a new connection would wait for them.
    ///
    /// Starting one as soon as the last idle worker takes a connection would, under a load that only needs the
    /// processor, grow the pool to as many threads as connections in flight: they compete for the same cores and
    /// wake for every new connection, while a worker that finishes takes the next queued connection at once (see
    /// ``FastCGIWorker``). Stuck workers get company fast: 1, then 2, 4, 8… more for each further ``stuckAfter``
    /// without an answer, so a burst of 64 stuck requests has its threads within about 20 ms.
    ///
    /// It looks every ``stuckAfter`` while something is in flight, and sleeps otherwise: waking it costs the first
    /// connection after a quiet spell one broadcast, never each connection under load (a broadcast wakes the parked
    /// workers too).
    private func superviseGrowth() {
        while true {
            let working = state.wait(until: nil) { state -> Bool? in
                if state.stopping { return false }
                if state.busy > 0 { return true }
                state.supervisorAsleep = true
                return nil
            }
            guard working == true else { return }
            var answeredBefore = state.withLock { $0.answered }
            var burst = 1
            watch: while true {
                let stopping = state.wait(until: .now + Self.stuckAfter) { $0.stopping ? true : nil } ?? false
                if stopping { return }
                let decision = state.withLock { state -> GrowthDecision in
                    if state.stopping { return .stop }
                    if state.busy == 0 { return .nothingInFlight }
                    let canGrow = state.live < settings.maximumInFlight || state.parked > state.recalled
                    if state.idle > 0 || !canGrow || state.answered != answeredBefore {
                        answeredBefore = state.answered
                        return .watchAgain
                    }
                    // Parked workers first (called back), then new threads up to the cap.
                    let recalled = min(burst, state.parked - state.recalled)
                    state.recalled += recalled
                    let started = min(burst - recalled, settings.maximumInFlight - state.live)
                    state.live += started
                    state.idle += started
                    return .start(recalled: recalled, newThreads: started)
                }
                switch decision {
                case .stop: return
                case .nothingInFlight: break watch
                case .watchAgain: burst = 1
                case .start(let recalled, let started):
                    // Wakes the parked workers (only then: they would wake every period otherwise).
                    if recalled > 0 { state.broadcast() }
                    for _ in 0..<started { _ = startWorker() }
                    burst *= 2
                }
            }
        }
    }

    private enum GrowthDecision {
        case stop, nothingInFlight, watchAgain
        case start(recalled: Int, newThreads: Int)
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
