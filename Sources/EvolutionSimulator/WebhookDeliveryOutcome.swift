/// Where one outgoing webhook stands, as `GET /_sim/deliveries` shows it.
enum WebhookDeliveryOutcome: String, Sendable, CaseIterable {
    /// Queued; no attempt made yet (or waiting for the configured delay).
    case pending
    /// An attempt failed; another one is due.
    case retrying
    /// The target answered 2xx.
    case delivered
    /// The target answered a status Evolution never retries (400, 401, 403, 404, 422).
    case refused
    /// Out of attempts, sent in `fail` mode, or not sendable at all (its `jwt_key` could not sign).
    case failed
    /// Never sent: the delivery mode was `drop`.
    case dropped
}
