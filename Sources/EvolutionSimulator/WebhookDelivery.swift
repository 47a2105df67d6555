/// One webhook POST waiting to be sent, with its remaining attempts.
struct WebhookDelivery: Sendable {
    /// Its entry in the delivery log (`GET /_sim/deliveries`).
    let id: Int
    /// The reset it was generated after: a report about a delivery from before the latest reset is ignored.
    let generation: Int
    /// The dotted event, e.g. `connection.update` (for logs).
    let event: String
    /// The instance it is about (for logs).
    let instance: String
    /// The destination URL (never logged: it may carry a secret).
    let url: String
    /// The configured headers plus `Content-Type`, a `jwt_key` replaced by `Authorization` (never logged).
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
    /// Counted as failed after its first attempt whatever the answer (delivery mode `fail`).
    var failsOnPurpose = false
    /// Not sent before this instant (the configured delay, then retries).
    var notBefore: ContinuousClock.Instant

    /// Statuses Evolution never retries (`webhook.controller.ts`).
    static let finalStatuses: Set<Int> = [400, 401, 403, 404, 422]

    /// The delay before the next attempt: `retryMilliseconds × 2^(attempt − 1)`, at most 30 s.
    var retryDelay: Duration {
        let factor = 1 << min(max(attempt - 1, 0), 16)
        return .milliseconds(min(retryMilliseconds * factor, 30_000))
    }

    /// Where this delivery stands after an attempt that got `status` (nil: no answer): any 2xx delivers, a final
    /// status refuses, anything else retries while attempts are left. In `fail` mode every attempt fails for good.
    func outcome(afterStatus status: Int?) -> WebhookDeliveryOutcome {
        if failsOnPurpose { return .failed }
        if let status, (200...299).contains(status) { return .delivered }
        if let status, Self.finalStatuses.contains(status) { return .refused }
        return attempt < maximumAttempts ? .retrying : .failed
    }
}
