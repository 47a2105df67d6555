import CoreMetrics

/// The metric of Evolution's webhook deliveries: `tenant_whatsapp_webhook_deliveries_total{event,outcome}`, a
/// counter.
///
/// `event` is one of the four events the service subscribes to (`connection.update`, `qrcode.updated`,
/// `logout.instance`, `remove.instance`), `other` for any other name, `unknown` when none was read (the token was
/// refused first, or the body is not a delivery): a name from the body never becomes a label as it is.
enum WebhookMetrics {
    /// The counter of deliveries.
    static let deliveriesName = Application.metricsPrefix + "webhook_deliveries_total"

    /// The events that are labels as they are.
    static let knownEvents: Set<String> = ["connection.update", "qrcode.updated", "logout.instance", "remove.instance"]

    /// What became of a delivery.
    enum Outcome: String, Sendable {
        /// Recorded: it changed the tenant's row.
        case applied
        /// Answered 200 without a change: not one of our instances, a late or repeated event, an event we ignore.
        case ignored
        /// 401: the bearer token is missing or not Evolution's.
        case refused
        /// 400: the body is not a delivery we can read.
        case invalid
        /// 5xx: the database failed; Evolution retries.
        case failed

        /// The outcome of a delivery answered with `error`.
        init(_ error: APIError) {
            switch error.code.status.code {
            case 401, 403: self = .refused
            case 400..<500: self = .invalid
            default: self = .failed
            }
        }
    }

    /// Counts one delivery of `event` (nil: not read) that ended as `outcome`.
    static func record(event: String?, outcome: Outcome) {
        let eventLabel = event.map { knownEvents.contains($0) ? $0 : "other" } ?? "unknown"
        Counter(label: deliveriesName, dimensions: [("event", eventLabel), ("outcome", outcome.rawValue)]).increment()
    }
}
