import CoreMetrics

/// The metrics of event delivery to the SaaS backend (docs/event-webhooks.md, "Metrics").
///
/// - `tenant_whatsapp_event_webhook_attempts_total{outcome}`: a counter of attempts: `delivered` (2xx), `retried`
///   (failed, attempted again later), `dead` (failed, the last attempt), `gone` (410: delivery paused).
/// - `tenant_whatsapp_event_webhook_attempt_seconds`: a histogram of how long each attempt took.
/// - `tenant_whatsapp_event_webhook_pending`, `tenant_whatsapp_event_webhook_oldest_pending_seconds` and
///   `tenant_whatsapp_event_webhook_paused` (1 after a 410 until `events resume`): gauges read from the outbox at
///   each scrape.
enum EventWebhookMetrics {
    static let attemptsName = Application.metricsPrefix + "event_webhook_attempts_total"
    static let attemptSecondsName = Application.metricsPrefix + "event_webhook_attempt_seconds"
    static let pendingName = Application.metricsPrefix + "event_webhook_pending"
    static let oldestPendingName = Application.metricsPrefix + "event_webhook_oldest_pending_seconds"
    static let pausedName = Application.metricsPrefix + "event_webhook_paused"

    /// Counts one attempt and its duration.
    static func record(_ result: EventDeliveryResult) {
        let outcome =
            switch result.next {
            case .delivered: "delivered"
            case .retry: "retried"
            case .dead: "dead"
            case .paused: "gone"
            }
        Counter(label: attemptsName, dimensions: [("outcome", outcome)]).increment()
        Timer(label: attemptSecondsName).record(result.duration)
    }

    /// Sets the gauges from the outbox's figures.
    static func sample(_ statistics: EventOutboxStatistics) {
        Gauge(label: pendingName).record(statistics.pending)
        Gauge(label: oldestPendingName).record(statistics.oldestPendingSeconds)
        Gauge(label: pausedName).record(statistics.paused ? 1 : 0)
    }
}
