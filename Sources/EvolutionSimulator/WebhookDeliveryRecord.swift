import HTTPServer
import JSON
import Runtime

/// One outgoing webhook in the delivery log of `GET /_sim/deliveries`: what was sent where, how it went.
///
/// It keeps the names of the headers sent, never their values: an `Authorization` signed from a `jwt_key`, or any
/// configured header, may be a secret. Whether an `Authorization` went out is shown as a flag.
struct WebhookDeliveryRecord: Sendable {
    let id: Int
    /// The dotted event, e.g. `connection.update`.
    let event: String
    let instance: String
    /// The destination URL (with `byEvents`, the URL plus the kebab event).
    let url: String
    /// The names of the headers sent, in order.
    let headerNames: [String]
    var outcome: WebhookDeliveryOutcome
    /// Attempts made so far.
    var attempts = 0
    /// The status the target answered last, if it answered.
    var status: Int?
    /// Why the last attempt got no answer, or why nothing could be sent.
    var error: String?
    let queuedAt: Timestamp
    var updatedAt: Timestamp

    /// A record of `delivery` as queued (or not sent at all, with `outcome` `dropped` or `failed`).
    init(_ delivery: WebhookDelivery, outcome: WebhookDeliveryOutcome, error: String? = nil, time: Timestamp) {
        self.id = delivery.id
        self.event = delivery.event
        self.instance = delivery.instance
        self.url = delivery.url
        self.headerNames = delivery.headers.map(\.name)
        self.outcome = outcome
        self.error = error
        self.queuedAt = time
        self.updatedAt = time
    }

    /// Whether an `Authorization` header was sent (its value is never kept).
    var sentAuthorization: Bool {
        headerNames.contains { $0.lowercased() == "authorization" }
    }

    /// Takes in the result of one attempt.
    mutating func update(with result: WebhookAttemptResult, time: Timestamp) {
        outcome = result.outcome
        attempts = result.delivery.attempt
        status = result.status
        error = result.error
        updatedAt = time
    }

    var json: JSONValue {
        [
            "id": .integer(id), "event": .string(event), "instance": .string(instance), "url": .string(url),
            "headers": .array(headerNames.map(JSONValue.string)), "authorization": .bool(sentAuthorization),
            "outcome": .string(outcome.rawValue), "attempts": .integer(attempts),
            "status": status.map(JSONValue.integer) ?? .null, "error": .string(orNull: error),
            "queuedAt": .string(queuedAt.description), "updatedAt": .string(updatedAt.description),
        ]
    }
}
