import CoreMetrics

/// The metric of the event stream's publishing: `tenant_whatsapp_events_published_total{outcome}`, a counter.
enum EventsMetrics {
    /// The counter of publishes.
    static let publishedName = Application.metricsPrefix + "events_published_total"

    /// What became of one tenant's state.
    enum Outcome: String, Sendable {
        /// nchan took the message.
        case published
        /// A try failed and the tenant was queued again (a busy nginx missed the 50 ms deadline, say).
        case retried
        /// Every try failed (nginx down, the socket missing, PostgreSQL unreachable): given up.
        case failed
        /// The queue was full, or the process stopping: not sent.
        case dropped
    }

    /// Counts one publish that ended as `outcome`.
    static func recordPublish(_ outcome: Outcome) {
        Counter(label: publishedName, dimensions: [("outcome", outcome.rawValue)]).increment()
    }
}
