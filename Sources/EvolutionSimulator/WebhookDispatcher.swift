import HTTPClient
import Logging
import Runtime
import Synchronization

/// Sends queued webhooks from a background thread with its own ``HTTPClient``, retrying failures: up to the
/// delivery's attempts, with a doubling delay, never after 400, 401, 403, 404 or 422 (as Evolution). Each attempt's
/// result goes to a report function (the simulator's delivery log).
///
/// Logs the event, instance, attempt and status of each delivery; never the URL or headers (they may carry
/// secrets).
final class WebhookDispatcher: Sendable {
    private let queue = Mutex<[WebhookDelivery]>([])
    private let thread: BackgroundThread
    private let logger: Logger

    init(thread: BackgroundThread, logger: Logger) {
        self.thread = thread
        self.logger = logger
    }

    /// Queues deliveries and wakes the thread.
    func enqueue(_ deliveries: [WebhookDelivery]) {
        guard !deliveries.isEmpty else { return }
        queue.withLock { $0.append(contentsOf: deliveries) }
        thread.wake()
    }

    /// Drops every queued delivery.
    func clear() {
        queue.withLock { $0.removeAll() }
    }

    /// The deliveries waiting (for tests).
    var pending: [WebhookDelivery] {
        queue.withLock { $0 }
    }

    /// The thread's loop: sends what is due, reporting each attempt to `report`, then sleeps until the next
    /// delivery is due or new work arrives.
    func run(on thread: BackgroundThread, report: (WebhookAttemptResult) -> Void) {
        let client: HTTPClient
        do {
            client = try HTTPClient(bodyLimit: 64 * 1024)
        } catch {
            logger.error("webhook delivery disabled: no HTTP client", metadata: ["error": "\(error)"])
            return
        }
        while true {
            let now = ContinuousClock.now
            let due = queue.withLock { queue in
                let due = queue.filter { $0.notBefore <= now }
                queue.removeAll { $0.notBefore <= now }
                return due
            }
            for delivery in due {
                let result = send(delivery, with: client)
                report(result)
                if result.outcome == .retrying { queue.withLock { $0.append(result.delivery) } }
            }
            let next = queue.withLock { $0.map(\.notBefore).min() }
            let timeout = next.map { max(.zero, $0 - ContinuousClock.now) }
            guard thread.wait(upTo: timeout) else { return }
        }
    }

    /// One attempt, logged; the result holds the delivery to queue again when it is to be retried.
    private func send(_ delivery: WebhookDelivery, with client: HTTPClient) -> WebhookAttemptResult {
        var delivery = delivery
        delivery.attempt += 1
        let request = HTTPClientRequest(
            method: .post, url: delivery.url, headers: delivery.headers, body: delivery.body,
            timeoutMilliseconds: delivery.timeoutMilliseconds)
        var metadata: Logger.Metadata = [
            "event": .string(delivery.event), "instance": .string(delivery.instance),
            "attempt": .stringConvertible(delivery.attempt),
        ]
        var status: Int?
        var failure: String?
        do {
            status = try client.send(request).status
            metadata["status"] = .stringConvertible(status ?? 0)
        } catch {
            failure = error.description
            metadata["error"] = .string(error.description)
        }
        let outcome = delivery.outcome(afterStatus: status)
        switch outcome {
        case .delivered: logger.info("webhook delivered", metadata: metadata)
        case .refused: logger.warning("webhook refused; not retried", metadata: metadata)
        case .retrying:
            logger.info("webhook failed; will retry", metadata: metadata)
            delivery.notBefore = .now + delivery.retryDelay
        case .failed where delivery.failsOnPurpose:
            logger.warning("webhook counted as failed (delivery mode fail); not retried", metadata: metadata)
        case .failed, .pending, .dropped: logger.warning("webhook failed; no attempts left", metadata: metadata)
        }
        return WebhookAttemptResult(delivery: delivery, status: status, error: failure, outcome: outcome)
    }
}
