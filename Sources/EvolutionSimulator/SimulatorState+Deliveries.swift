import JSON
import Runtime

/// Webhooks out: each event an instance's webhook wants becomes a delivery in the outbox (for the delivery thread)
/// and a record in the delivery log, unless the delivery mode drops it.
extension SimulatorState {
    /// Queues `event` for `instance`'s webhook, if it has one that wants it: to the URL (plus the kebab event with
    /// `byEvents`), with Evolution's headers (a `jwt_key` signed into `Authorization`), after the configured delay.
    /// In `drop` mode it is only recorded; when its `jwt_key` cannot sign, it is recorded as failed and not sent,
    /// as Evolution's `emit` throws before posting.
    mutating func emit(
        _ event: (name: String, data: JSONValue), for instance: SimulatedInstance, now: ContinuousClock.Instant
    ) {
        guard let webhook = instance.webhook, webhook.delivers(event.name) else { return }
        let destination = webhook.destination(for: event.name)
        let time = Timestamp.now()
        let envelope = WebhookEvent.envelope(
            event: event.name, data: event.data, instance: instance, destination: destination, settings: settings,
            time: time)
        var signingError: String?
        let headers: [(name: String, value: String)]
        do {
            headers = try webhook.deliveryHeaders(issuedAt: Int(time.millisecondsSinceEpoch / 1000))
        } catch {
            headers = []
            signingError = error.description
        }
        var delivery = WebhookDelivery(
            id: nextDeliveryID, generation: resetCount, event: event.name, instance: instance.name, url: destination,
            headers: headers, body: envelope.serialized(), maximumAttempts: settings.webhookAttempts,
            timeoutMilliseconds: settings.webhookTimeoutMilliseconds,
            retryMilliseconds: settings.webhookRetryMilliseconds,
            notBefore: now + .milliseconds(settings.webhookDelayMilliseconds))
        delivery.failsOnPurpose = settings.webhookDeliveryMode == .fail
        nextDeliveryID += 1
        if let signingError {
            appendToDeliveryLog(WebhookDeliveryRecord(delivery, outcome: .failed, error: signingError, time: time))
        } else if settings.webhookDeliveryMode == .drop {
            appendToDeliveryLog(WebhookDeliveryRecord(delivery, outcome: .dropped, time: time))
        } else {
            appendToDeliveryLog(WebhookDeliveryRecord(delivery, outcome: .pending, time: time))
            outbox.append(delivery)
        }
    }

    /// Queues `event` for the instance named `name`.
    mutating func emit(_ event: (name: String, data: JSONValue), about name: String, now: ContinuousClock.Instant) {
        guard let instance = instances[name] else { return }
        emit(event, for: instance, now: now)
    }

    /// Takes in the delivery thread's report of one attempt; a report from before the latest reset, or about a
    /// record the log no longer holds, changes nothing.
    mutating func recordAttempt(_ result: WebhookAttemptResult) {
        guard result.delivery.generation == resetCount,
            let index = deliveryLog.lastIndex(where: { $0.id == result.delivery.id })
        else { return }
        deliveryLog[index].update(with: result, time: Timestamp.now())
        if result.outcome != .retrying { removeDeliveryEnded(result.delivery, now: .now) }
    }

    /// `GET /_sim/deliveries`: every outgoing webhook, oldest first.
    var deliveryLogJSON: JSONValue {
        ["deliveries": .array(deliveryLog.map(\.json))]
    }

    private mutating func appendToDeliveryLog(_ record: WebhookDeliveryRecord) {
        if deliveryLog.count >= Self.deliveryLogLimit {
            deliveryLog.removeFirst(deliveryLog.count - Self.deliveryLogLimit + 1)
        }
        deliveryLog.append(record)
    }
}
