import HTTPServer
import Runtime

/// Time as the WhatsApp flows see it: injected, so unit tests run every wait in no time.
struct FlowClock: Sendable {
    /// The monotonic now, for deadlines.
    var now: @Sendable () -> ContinuousClock.Instant
    /// The wall-clock now as the API writes it (ISO 8601 UTC with milliseconds).
    var timestamp: @Sendable () -> String
    /// Blocks the calling thread (between two QR polls).
    var pause: @Sendable (Duration) -> Void

    /// The real clocks.
    static let system = FlowClock(
        now: { ContinuousClock.now }, timestamp: { Timestamp.now().description }, pause: { Pause.for($0) })
}
