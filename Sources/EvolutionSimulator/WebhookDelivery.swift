/// One webhook POST waiting to be sent, with its remaining attempts.
struct WebhookDelivery: Sendable {
    /// The dotted event, e.g. `connection.update` (for logs).
    let event: String
    /// The instance it is about (for logs).
    let instance: String
    /// The destination URL (never logged: it may carry a secret).
    let url: String
    /// The configured headers plus `Content-Type`.
    let headers: [(name: String, value: String)]
    /// The JSON envelope.
    let body: [UInt8]
    /// Attempts made so far.
    var attempt = 0
    /// How many attempts in all.
    let maximumAttempts: Int
    /// The deadline of one attempt.
    let timeoutMilliseconds: Int
    /// The first retry delay, doubled per attempt.
    let retryMilliseconds: Int
    /// Not sent before this instant (retries wait).
    var notBefore: ContinuousClock.Instant

    /// Statuses Evolution never retries (`webhook.controller.ts`).
    static let finalStatuses: Set<Int> = [400, 401, 403, 404, 422]

    /// The delay before the next attempt: `retryMilliseconds × 2^(attempt − 1)`, at most 30 s.
    var retryDelay: Duration {
        let factor = 1 << min(max(attempt - 1, 0), 16)
        return .milliseconds(min(retryMilliseconds * factor, 30_000))
    }
}
