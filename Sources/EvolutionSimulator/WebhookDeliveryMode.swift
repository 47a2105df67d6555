/// What becomes of the webhooks the simulator generates: sent as Evolution would, or broken on purpose so that a
/// client's fallback (polling) can be tested.
public enum WebhookDeliveryMode: String, Sendable, CaseIterable {
    /// Sent, retried as Evolution retries.
    case normal
    /// Generated and recorded as `dropped`, never sent: the webhook target hears nothing.
    case drop
    /// Sent once, then counted as `failed` whatever the target answers, and never retried.
    case fail
}
