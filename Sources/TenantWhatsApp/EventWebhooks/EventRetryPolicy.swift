import Runtime

/// When an event is attempted again (docs/event-webhooks.md, "Retries"): the schedule's next delay with jitter,
/// lengthened by a `Retry-After` answer, never under 1 s; after the schedule's last attempt, never.
struct EventRetryPolicy: Sendable {
    /// The delay before each attempt, the first one included.
    let schedule: [Duration]
    /// The longest `Retry-After` honoured.
    static let maximumRetryAfter = Duration.seconds(86_400)
    /// The shortest delay before a retry.
    static let minimumDelay = Duration.seconds(1)

    /// The delay before the attempt after `attempts` failed ones, or nil when that was the last.
    ///
    /// `random` gives a number in 0..<1: the delay is spread by up to ±20 % so that events that failed together
    /// are not all retried in the same instant.
    func delay(afterAttempts attempts: Int, retryAfter: Duration?, random: Double) -> Duration? {
        guard attempts >= 1, attempts < schedule.count else { return nil }
        let scheduled = schedule[attempts]
        let factor = 0.8 + 0.4 * min(max(random, 0), 1)
        let jittered = Duration.milliseconds(Int64((scheduled / .milliseconds(1) * factor).rounded()))
        let lengthened = max(jittered, min(retryAfter ?? .zero, Self.maximumRetryAfter))
        return max(lengthened, Self.minimumDelay)
    }

    /// A `Retry-After` header in seconds (`120`); nil for anything else (an HTTP date is not read).
    static func retryAfter(_ header: String?) -> Duration? {
        guard let header else { return nil }
        let text = header.trimmingSpaces()
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let seconds = Int(text)
        else { return nil }
        return .seconds(seconds)
    }
}
