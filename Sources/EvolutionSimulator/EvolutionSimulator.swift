import HTTPServer
import Logging
import Runtime
import Synchronization

/// A faithful simulator of the Evolution API v2.3.x instance routes (docs/simulator.md), with a control API under
/// `/_sim/` to play the phone and inject faults.
///
/// One object serves every worker thread: its state sits behind one lock, held only while a request is worked
/// out, never while a delay runs or bytes are written. Two background threads of its own advance time (QR codes
/// rotate, automatic scans, delete clean-up) and deliver webhooks.
public final class EvolutionSimulator: Sendable {
    private let state: Mutex<SimulatorState>
    private let logger: Logger
    private let clockThread = BackgroundThread()
    private let deliveryThread = BackgroundThread()
    private let dispatcher: WebhookDispatcher

    /// How often the clock thread advances time-driven behaviour.
    static let tickInterval = Duration.milliseconds(100)

    /// A simulator with `settings`, logging webhook deliveries to `logger`.
    public init(settings: SimulatorSettings, logger: Logger) {
        self.state = Mutex(SimulatorState(settings: settings))
        self.logger = logger
        self.dispatcher = WebhookDispatcher(thread: deliveryThread, logger: logger)
    }

    /// Starts the clock and webhook threads; false when a thread could not be created.
    public func startBackgroundWork() -> Bool {
        guard
            deliveryThread.start({ [self] thread in
                dispatcher.run(on: thread) { result in state.withLock { $0.recordAttempt(result) } }
            })
        else { return false }
        return clockThread.start { [self] thread in
            while thread.wait(upTo: Self.tickInterval) { tick(now: .now) }
        }
    }

    /// Stops both threads (queued webhooks are dropped).
    public func stopBackgroundWork() {
        clockThread.stop()
        deliveryThread.stop()
    }

    /// Works out the answer to `request`: the control API under `/_sim/`, Evolution's routes everywhere else.
    public func answer(to request: HTTPRequest, now: ContinuousClock.Instant = .now) -> SimulatorAnswer {
        let isControl = request.path.hasPrefix("/_sim/")
        let (answer, deliveries, wasReset) = state.withLock { state in
            guard isControl else { return (state.answerEvolution(request, now: now), state.takeOutbox(), false) }
            let resetsBefore = state.resetCount
            let response = state.answerControl(request, now: now)
            let answer = SimulatorAnswer(response, route: "_sim", instance: nil)
            return (answer, state.takeOutbox(), state.resetCount != resetsBefore)
        }
        if wasReset { dispatcher.clear() }
        dispatcher.enqueue(deliveries)
        return answer
    }

    /// The answer when the request body could not be read: 413 or 400 in Evolution's envelope.
    public func answer(to failure: HTTPRequestFailure, request: HTTPRequest) -> SimulatorAnswer {
        let response: HTTPResponse
        switch failure {
        case .payloadTooLarge: response = EvolutionEnvelope.error(.contentTooLarge, message: "request entity too large")
        case .incompleteBody: response = EvolutionEnvelope.error(.badRequest, message: "request aborted")
        }
        return SimulatorAnswer(response, route: "unreadable", instance: nil)
    }

    /// Advances time-driven behaviour to `now` (the clock thread calls this every ``tickInterval``).
    public func tick(now: ContinuousClock.Instant) {
        let deliveries = state.withLock { state in
            state.tick(now: now)
            return state.takeOutbox()
        }
        dispatcher.enqueue(deliveries)
    }

    /// The webhooks waiting to be sent (for tests of the library without the delivery thread).
    var pendingWebhooks: [WebhookDelivery] {
        dispatcher.pending
    }
}
