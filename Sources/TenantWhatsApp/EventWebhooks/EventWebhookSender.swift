import HTTPClient
import Runtime
import Secrets

/// Makes one attempt to deliver an event: POSTs its body to `EVENTS_WEBHOOK_URL`, signed per Standard Webhooks
/// with a timestamp of its own, and reads only the status (and `Retry-After`) of the answer.
///
/// One per delivering thread (it owns a libcurl handle). Redirects are never followed, TLS is verified (the
/// ``HTTPClient`` defaults), an attempt ends after ``timeoutMilliseconds`` and at most ``bodyLimit`` bytes of the
/// answer are read; nothing of the answer but its status reaches a log or `events list`.
final class EventWebhookSender {
    /// The deadline of one attempt.
    static let timeoutMilliseconds = 10_000
    /// The most bytes of an answer read.
    static let bodyLimit = 1024

    private let settings: EventWebhookSettings
    private let policy: EventRetryPolicy
    private let client: HTTPClient

    init(settings: EventWebhookSettings) throws(HTTPClientError) {
        self.settings = settings
        self.policy = EventRetryPolicy(schedule: settings.retrySchedule)
        self.client = try HTTPClient(bodyLimit: Self.bodyLimit)
    }

    /// Attempts `event` (its attempt count already includes this one) and says what happens next.
    func deliver(_ event: OutboxEvent) -> EventDeliveryResult {
        let started = ContinuousClock.now
        let body = event.body
        let timestamp = Int(Timestamp.now().millisecondsSinceEpoch / 1000)
        let signature: String
        do {
            signature = try settings.signer.signature(id: event.eventID, timestamp: timestamp, body: body)
        } catch {
            return failed(event, status: nil, error: "not signed: \(error)", retryAfter: nil, since: started)
        }
        var request = HTTPClientRequest(
            method: .post, url: settings.url,
            headers: [
                ("Content-Type", "application/json"), ("User-Agent", "tenant-whatsapp"),
                ("webhook-id", event.eventID), ("webhook-timestamp", String(timestamp)),
                ("webhook-signature", signature),
            ],
            body: body, timeoutMilliseconds: Self.timeoutMilliseconds)
        request.acceptsTruncatedBody = true
        let response: HTTPClientResponse
        do {
            response = try client.send(request)
        } catch {
            return failed(event, status: nil, error: error.code, retryAfter: nil, since: started)
        }
        let status = response.status
        if (200...299).contains(status) {
            return EventDeliveryResult(
                event: event, next: .delivered, status: status, error: nil, duration: .now - started)
        }
        if status == 410 {
            return EventDeliveryResult(
                event: event, next: .paused, status: status, error: "gone", duration: .now - started)
        }
        return failed(
            event, status: status, error: "status \(status)",
            retryAfter: EventRetryPolicy.retryAfter(response.header("Retry-After")), since: started)
    }

    private func failed(
        _ event: OutboxEvent, status: Int?, error: String, retryAfter: Duration?, since started: ContinuousClock.Instant
    ) -> EventDeliveryResult {
        let delay = policy.delay(
            afterAttempts: event.attempts, retryAfter: retryAfter, random: Double.random(in: 0..<1))
        return EventDeliveryResult(
            event: event, next: delay.map { .retry(after: $0) } ?? .dead, status: status, error: error,
            duration: .now - started)
    }
}
