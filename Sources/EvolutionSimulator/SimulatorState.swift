import HTTPServer
import JSON
import Runtime

/// Everything the simulator remembers: instances, settings, faults, the call log, the webhooks it received, and
/// the webhooks waiting to be sent. A value type, guarded by one lock in ``EvolutionSimulator``; every method takes
/// the current instant, so the state machine is tested without sleeping.
struct SimulatorState: Sendable {
    /// The settings from the environment, restored by a reset.
    let initialSettings: SimulatorSettings
    var settings: SimulatorSettings
    var instances: [String: SimulatedInstance] = [:]
    /// Instance names in creation order (`fetchInstances` lists them so).
    var creationOrder: [String] = []
    var faults: [Fault] = []
    var calls: [CallLogEntry] = []
    /// Webhook envelopes received on `/_sim/webhooks` (the simulator as a webhook target for tests).
    var receivedWebhooks: [JSONValue] = []
    /// Deliveries produced by the last operations, taken by ``takeOutbox()``.
    private(set) var outbox: [WebhookDelivery] = []
    /// How many resets happened (queued deliveries from before a reset are dropped).
    private(set) var resetCount = 0

    /// The most calls kept in the log (the oldest go first).
    static let callLogLimit = 10_000
    /// The most received webhooks kept.
    static let receivedWebhookLimit = 1000

    init(settings: SimulatorSettings) {
        self.initialSettings = settings
        self.settings = settings
    }

    /// Forgets every instance, fault, call and webhook, and restores the settings from the environment.
    mutating func reset() {
        let count = resetCount + 1
        self = SimulatorState(settings: initialSettings)
        resetCount = count
    }

    /// The deliveries produced since the last call.
    mutating func takeOutbox() -> [WebhookDelivery] {
        defer { outbox.removeAll() }
        return outbox
    }

    /// Queues `event` for `instance`'s webhook, if it has one that wants it.
    mutating func emit(
        _ event: (name: String, data: JSONValue), for instance: SimulatedInstance, now: ContinuousClock.Instant
    ) {
        guard let webhook = instance.webhook, webhook.delivers(event.name) else { return }
        let destination = webhook.destination(for: event.name)
        let envelope = WebhookEvent.envelope(
            event: event.name, data: event.data, instance: instance, destination: destination, settings: settings,
            time: Timestamp.now())
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        for (name, value) in webhook.headers.objectMembers ?? [] {
            // `jwt_key` asks Evolution to sign a JWT instead; the simulator does not sign, so it sends neither.
            guard let text = value.stringValue, name.lowercased() != "jwt_key",
                name.lowercased() != "content-type"
            else { continue }
            headers.append((name, text))
        }
        outbox.append(
            WebhookDelivery(
                event: event.name, instance: instance.name, url: destination, headers: headers,
                body: envelope.serialized(), maximumAttempts: settings.webhookAttempts,
                timeoutMilliseconds: settings.webhookTimeoutMilliseconds,
                retryMilliseconds: settings.webhookRetryMilliseconds, notBefore: now))
    }

    /// Queues `event` for the instance named `name`.
    mutating func emit(_ event: (name: String, data: JSONValue), about name: String, now: ContinuousClock.Instant) {
        guard let instance = instances[name] else { return }
        emit(event, for: instance, now: now)
    }

    /// Advances time-driven behaviour to `now`: QR codes rotate, phones auto-scan, deleted names are freed.
    mutating func tick(now: ContinuousClock.Instant) {
        for name in creationOrder {
            guard let instance = instances[name] else { continue }
            if let deadline = instance.removalDeadline, now >= deadline {
                remove(name)
                continue
            }
            guard instance.state == .connecting else { continue }
            if let seconds = settings.autoScanSeconds, let first = instance.firstQRShownAt,
                now - first >= .seconds(seconds)
            {
                _ = scan(name, wuid: nil, profileName: nil, now: now)
                continue
            }
            if settings.qrRotateSeconds > 0, let shown = instance.qrShownAt,
                now - shown >= .seconds(settings.qrRotateSeconds)
            {
                showNextQRCode(name, now: now)
            }
        }
    }

    /// Removes an instance from memory for good.
    mutating func remove(_ name: String) {
        instances[name] = nil
        creationOrder.removeAll { $0 == name }
    }

    /// Appends to the call log, dropping the oldest entry when full.
    mutating func record(_ entry: CallLogEntry) {
        if calls.count >= Self.callLogLimit { calls.removeFirst(calls.count - Self.callLogLimit + 1) }
        calls.append(entry)
    }
}
