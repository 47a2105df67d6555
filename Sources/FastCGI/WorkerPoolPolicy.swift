/// The worker pool's decisions, without threads, locks or libfcgi: who is idle, busy, parked or leaving, when a
/// worker parks, when the pool grows, when a thread may end, and when every thread is gone.
///
/// ``WorkerPool`` holds one behind its lock and carries out what each event returns. Every event checks the
/// counters' rules afterwards (``checkInvariants()``, asserted in debug builds), and the unit tests drive thousands
/// of random event sequences through it, so the rules are kept by the type, not by each caller.
///
/// A worker thread's life, as the policy sees it: ``workerStarting()`` (counted live and idle before the thread
/// exists; ``workerDidNotStart()`` takes that back), ``workerBegins()`` on the thread (its slot), then
/// ``accepted(slot:at:)`` and ``finished(slot:at:)`` per request, maybe parking (``recalledWorkerResumes()`` or
/// ``parkedWorkerLeaves()``), until it leaves (``idleTimedOut()``, ``idleWorkerLeaves()``, ``parkedWorkerLeaves()``)
/// and, once its libfcgi state is freed, ``threadFinished(slot:)``.
struct WorkerPoolPolicy: Sendable, Equatable {
    /// Everything the policy counts. Only the policy changes it; tests may build one (``init(limits:counters:)``).
    struct Counters: Sendable, Equatable {
        /// Workers counted by the pool: idle, busy or parked (a thread about to start is counted idle).
        var live = 0
        /// Workers waiting for a connection (or about to).
        var idle = 0
        /// Workers answering a request.
        var busy = 0
        /// Workers beyond the minimum set aside: they wait on the parking condition, not on the listening socket.
        var parked = 0
        /// Parked workers called back by the supervisor that have not resumed yet (at most `parked`).
        var recalled = 0
        /// Threads no longer counted live that have not freed their libfcgi state yet.
        var leaving = 0
        /// Requests answered so far: the supervisor tells flowing workers from stuck ones by it.
        var answered: UInt64 = 0
        /// Set once by SIGTERM/SIGINT.
        var stopping = false
        /// Set once the listening socket refuses new connections (only while stopping).
        var noMoreConnections = false
        /// The growth supervisor's thread exists.
        var supervisorRunning = false
        /// The supervisor sleeps until a worker takes a connection (nothing was in flight).
        var supervisorAsleep = false
        /// `answered` when the supervisor last looked.
        var answeredAtLastLook: UInt64 = 0
        /// How many workers the supervisor adds at its next look if they are still stuck (1, 2, 4…).
        var burst = 1
        /// When each busy worker took its connection, by the worker's slot (nil: not busy, or a free slot).
        var busySince: [ContinuousClock.Instant?] = []
        /// Slots of threads that finished, for the next ones.
        var freeSlots: [Int] = []
    }

    /// The pool's size limits.
    struct Limits: Sendable, Equatable {
        /// Workers kept ready (1 ... `maximumWorkers`).
        let minimumWorkers: Int
        /// Workers, hence requests in flight, at most.
        let maximumWorkers: Int
        /// How long busy workers may answer nothing, with none idle, before more start.
        let stuckAfter: Duration

        /// Limits with at least one worker and a minimum no larger than the maximum.
        init(minimumWorkers: Int, maximumWorkers: Int, stuckAfter: Duration = .milliseconds(3)) {
            self.maximumWorkers = max(1, maximumWorkers)
            self.minimumWorkers = min(max(1, minimumWorkers), self.maximumWorkers)
            self.stuckAfter = stuckAfter
        }
    }

    /// What a worker does after answering a request.
    enum AfterRequest: Equatable {
        /// Wait for the next connection (counted idle).
        case waitForConnection
        /// Park: enough others serve what is not stuck (counted parked).
        case park
    }

    /// What the supervisor does after looking at the busy workers.
    enum Growth: Equatable {
        /// Shutdown was requested: the supervisor ends.
        case stop
        /// Nothing in flight: sleep until a worker takes a connection.
        case sleep
        /// Requests are flowing, a worker is idle, or the pool is full: look again after ``Limits/stuckAfter``.
        case watchAgain
        /// Every worker is stuck: wake `recall` parked workers and start `start` threads (both already counted).
        case grow(recall: Int, start: Int)
    }

    let limits: Limits
    private(set) var counters = Counters()

    /// Whether each event asserts the rules (debug builds). A test that checks them itself after every event, and
    /// reports the seed of the sequence that broke one, turns this off: a failed assert would stop it without that.
    let assertsInvariants: Bool

    /// A pool with nothing started yet.
    init(limits: Limits, assertsInvariants: Bool = true) {
        self.limits = limits
        self.assertsInvariants = assertsInvariants
    }

    /// A policy in any state, valid or not, unchecked: for tests of the rules themselves.
    init(limits: Limits, counters: Counters) {
        self.limits = limits
        self.counters = counters
        assertsInvariants = true
    }

    /// Whether the pool can grow past its minimum, and so needs a supervisor (a fixed pool has none).
    var grows: Bool { limits.maximumWorkers > limits.minimumWorkers }

    /// True once every worker thread and the supervisor have finished: ``WorkerPool/stop()`` returns then.
    var allThreadsFinished: Bool { counters.live == 0 && counters.leaving == 0 && !counters.supervisorRunning }

    // MARK: - Threads starting and finishing

    /// A worker thread is about to be started: counted live and idle from now on.
    mutating func workerStarting() {
        precondition(counters.live < limits.maximumWorkers, "a worker beyond the maximum")
        counters.live += 1
        counters.idle += 1
        assertInvariants()
    }

    /// The thread announced by ``workerStarting()`` could not be started.
    mutating func workerDidNotStart() {
        counters.live -= 1
        counters.idle -= 1
        assertInvariants()
    }

    /// A worker thread runs: its slot, for the events of its requests.
    mutating func workerBegins() -> Int {
        defer { assertInvariants() }
        if let slot = counters.freeSlots.popLast() { return slot }
        counters.busySince.append(nil)
        return counters.busySince.count - 1
    }

    /// A thread that left the pool has freed its libfcgi state and ends.
    mutating func threadFinished(slot: Int) {
        counters.leaving -= 1
        counters.busySince[slot] = nil
        counters.freeSlots.append(slot)
        assertInvariants()
    }

    // MARK: - Requests

    /// The worker of `slot` accepted a connection at `now`. True when the supervisor sleeps and must be woken.
    mutating func accepted(slot: Int, at now: ContinuousClock.Instant) -> Bool {
        counters.idle -= 1
        counters.busy += 1
        counters.busySince[slot] = now
        defer {
            counters.supervisorAsleep = false
            assertInvariants()
        }
        return counters.supervisorAsleep
    }

    /// The worker of `slot` answered its request at `now`: it parks when more than the minimum work on requests that
    /// are not stuck (taken less than ``Limits/stuckAfter`` ago) or wait for connections, and another already waits.
    ///
    /// Under a load that only needs the processor, the workers left from a burst of stuck requests would otherwise
    /// all wait on the socket and wake for its connections, competing with the minimum for the same cores.
    mutating func finished(slot: Int, at now: ContinuousClock.Instant) -> AfterRequest {
        defer { assertInvariants() }
        counters.answered &+= 1
        counters.busy -= 1
        counters.busySince[slot] = nil
        let working = counters.live - counters.parked
        guard !counters.stopping, working > limits.minimumWorkers, counters.idle >= 1,
            working - stuckWorkers(at: now) > limits.minimumWorkers
        else {
            counters.idle += 1
            return .waitForConnection
        }
        counters.parked += 1
        return .park
    }

    /// Busy workers whose request was taken more than ``Limits/stuckAfter`` before `now`.
    private func stuckWorkers(at now: ContinuousClock.Instant) -> Int {
        counters.busySince.reduce(0) { count, since in
            guard let since, now - since > limits.stuckAfter else { return count }
            return count + 1
        }
    }

    // MARK: - Idle and parked workers

    /// An idle worker waited for a connection for the whole idle timeout. True when it is to end (more than the
    /// minimum are idle, and not stopping): it is then no longer counted live.
    mutating func idleTimedOut() -> Bool {
        guard counters.idle > limits.minimumWorkers, !counters.stopping else { return false }
        counters.idle -= 1
        counters.live -= 1
        counters.leaving += 1
        assertInvariants()
        return true
    }

    /// An idle worker ends: stopping, with nothing left to accept.
    mutating func idleWorkerLeaves() {
        counters.idle -= 1
        counters.live -= 1
        counters.leaving += 1
        assertInvariants()
    }

    /// A parked worker took a call-back: it waits for connections again.
    mutating func recalledWorkerResumes() {
        counters.recalled -= 1
        counters.parked -= 1
        counters.idle += 1
        assertInvariants()
    }

    /// A parked worker that was not called back ends (idle timeout while parked, or stopping).
    mutating func parkedWorkerLeaves() {
        counters.parked -= 1
        counters.live -= 1
        counters.leaving += 1
        assertInvariants()
    }

    // MARK: - Shutdown

    /// SIGTERM or SIGINT: nothing parks or grows from now on, and idle workers end once nothing is left to accept.
    mutating func stopRequested() {
        counters.stopping = true
        assertInvariants()
    }

    /// The listening socket refuses new connections (while stopping): an empty queue stays empty.
    mutating func newConnectionsRefused() {
        counters.stopping = true
        counters.noMoreConnections = true
        assertInvariants()
    }

    // MARK: - The growth supervisor

    /// The supervisor thread is about to be started.
    mutating func supervisorStarting() {
        counters.supervisorRunning = true
        assertInvariants()
    }

    /// The supervisor thread ended (or could not be started).
    mutating func supervisorEnded() {
        counters.supervisorRunning = false
        counters.supervisorAsleep = false
        assertInvariants()
    }

    /// Asked by the waiting supervisor each time it wakes: false to end (stopping), true to watch the requests in
    /// flight, nil to sleep on (nothing in flight; the next ``accepted(slot:at:)`` says to wake it).
    mutating func supervisorWaitsForWork() -> Bool? {
        defer { assertInvariants() }
        if counters.stopping {
            counters.supervisorAsleep = false
            return false
        }
        guard counters.busy > 0 else {
            counters.supervisorAsleep = true
            return nil
        }
        counters.supervisorAsleep = false
        counters.answeredAtLastLook = counters.answered
        counters.burst = 1
        return true
    }

    /// The supervisor looks, every ``Limits/stuckAfter`` while requests are in flight: when every worker is busy
    /// and none answered anything since the last look, they wait on something (an upstream, the database), and a new
    /// connection would wait for them. Parked workers are called back first, then threads start up to the maximum:
    /// 1, then 2, 4, 8… for each further look without an answer, so 64 stuck requests have threads within ~20 ms.
    mutating func lookForStuckWorkers() -> Growth {
        defer { assertInvariants() }
        if counters.stopping { return .stop }
        guard counters.busy > 0 else {
            counters.burst = 1
            return .sleep
        }
        let canGrow = counters.live < limits.maximumWorkers || counters.parked > counters.recalled
        guard counters.idle == 0, canGrow, counters.answered == counters.answeredAtLastLook else {
            counters.answeredAtLastLook = counters.answered
            counters.burst = 1
            return .watchAgain
        }
        let recall = min(counters.burst, counters.parked - counters.recalled)
        let start = min(counters.burst - recall, limits.maximumWorkers - counters.live)
        counters.recalled += recall
        counters.live += start
        counters.idle += start
        counters.burst = min(counters.burst * 2, limits.maximumWorkers)
        return .grow(recall: recall, start: start)
    }
}
