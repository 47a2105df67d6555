/// What one delivery attempt came to, reported by the delivery thread to the simulator's delivery log.
struct WebhookAttemptResult: Sendable {
    /// The delivery after the attempt (its `attempt` counts this one).
    let delivery: WebhookDelivery
    /// The status the target answered, or nil when no answer came.
    let status: Int?
    /// Why no answer came (the HTTP client's description: never a URL, header or body).
    let error: String?
    /// Where the delivery stands now.
    let outcome: WebhookDeliveryOutcome
}
