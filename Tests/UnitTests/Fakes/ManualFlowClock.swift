import Runtime

@testable import TenantWhatsApp

/// A clock that stands still until the flow pauses: each pause moves it on by exactly the pause, at once.
final class ManualFlowClock: Sendable {
    /// What `timestamp` answers.
    static let timestamp = "2025-08-27T15:00:00.000Z"

    private struct State {
        var elapsed = Duration.zero
        var pauses: [Duration] = []
    }

    private let origin = ContinuousClock.now
    private let state = ConditionLock(State())

    /// How far the clock has moved since it was made.
    var elapsed: Duration {
        state.withLock { $0.elapsed }
    }

    /// Every pause asked for, in order.
    var pauses: [Duration] {
        state.withLock { $0.pauses }
    }

    /// Moves the clock on by `duration` without a pause (time another party took: an upstream call's).
    func advance(by duration: Duration) {
        state.withLock { $0.elapsed += duration }
    }

    /// The clock as the flows take it.
    var flowClock: FlowClock {
        FlowClock(
            now: { self.origin + self.elapsed },
            timestamp: { Self.timestamp },
            pause: { duration in
                self.state.withLock { state in
                    state.pauses.append(duration)
                    state.elapsed += duration
                }
            })
    }
}
