import HTTPServer
import JSON
import Runtime

/// Everything the simulator remembers: instances, settings, faults, the call log, the webhooks it received, the
/// webhooks waiting to be sent and how each delivery went. A value type, guarded by one lock in
/// ``EvolutionSimulator``; every method takes the current instant, so the state machine is tested without sleeping.
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
    var outbox: [WebhookDelivery] = []
    /// Every webhook generated, with how its delivery went (`GET /_sim/deliveries`), oldest first.
    var deliveryLog: [WebhookDeliveryRecord] = []
    /// The id of the next delivery.
    var nextDeliveryID = 1
    /// How many resets happened (queued deliveries from before a reset are dropped, their reports ignored).
    private(set) var resetCount = 0

    /// The most calls kept in the log (the oldest go first).
    static let callLogLimit = 10_000
    /// The most received webhooks kept.
    static let receivedWebhookLimit = 1000
    /// The most outgoing deliveries kept in the delivery log.
    static let deliveryLogLimit = 1000

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

    /// Advances time-driven behaviour to `now`: QR codes rotate, phones auto-scan, deleted names are freed.
    mutating func tick(now: ContinuousClock.Instant) {
        for name in creationOrder {
            guard let instance = instances[name] else { continue }
            if let deadline = instance.removalDeadline, now >= deadline {
                remove(name)
                continue
            }
            if let closedUntil = instance.closedUntil {
                // Restarting the socket after a repaired drop: `close` for a while, then `connecting`.
                guard now >= closedUntil else { continue }
                instances[name]?.closedUntil = nil
                instances[name]?.state = .connecting
            }
            guard instances[name]?.state == .connecting else { continue }
            if let reconnectsAt = instance.reconnectsAt {
                // Reconnecting after a repaired drop: no QR code, no scan, and no webhook when it is open again.
                if now >= reconnectsAt {
                    instances[name]?.state = .open
                    instances[name]?.reconnectsAt = nil
                    instances[name]?.updatedAt = Timestamp.now()
                }
                continue
            }
            if instance.qrShownAt == nil, let due = instance.qrDueAt, now >= due {
                showNextQRCode(name, now: now)
                continue
            }
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
