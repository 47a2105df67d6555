import HTTPServer
import JSON
import Runtime

/// An instance's webhook, from create's `webhook` object or `POST /webhook/set/{name}`.
struct WebhookConfiguration: Sendable, Equatable {
    /// The row id of `webhook/find`.
    var id: String
    var url: String
    var enabled: Bool
    /// Upper-case event names; empty means every event.
    var events: [String]
    var byEvents: Bool
    var base64: Bool
    /// Extra headers sent with each delivery (an object of strings).
    var headers: JSONValue
    var createdAt: Timestamp
    var updatedAt: Timestamp

    /// Every event a webhook may subscribe to (Evolution's `EventController.events`).
    static let knownEvents = [
        "APPLICATION_STARTUP", "QRCODE_UPDATED", "MESSAGES_SET", "MESSAGES_UPSERT", "MESSAGES_EDITED",
        "MESSAGES_UPDATE", "MESSAGES_DELETE", "SEND_MESSAGE", "CONTACTS_SET", "CONTACTS_UPSERT", "CONTACTS_UPDATE",
        "PRESENCE_UPDATE", "CHATS_SET", "CHATS_UPSERT", "CHATS_UPDATE", "CHATS_DELETE", "GROUPS_UPSERT",
        "GROUP_UPDATE", "GROUP_PARTICIPANTS_UPDATE", "CONNECTION_UPDATE", "LABELS_EDIT", "LABELS_ASSOCIATION", "CALL",
        "TYPEBOT_START", "TYPEBOT_CHANGE_STATUS", "REMOVE_INSTANCE", "LOGOUT_INSTANCE", "INSTANCE_CREATE",
        "INSTANCE_DELETE", "STATUS_INSTANCE",
    ]

    /// Whether `event` (dotted, e.g. `connection.update`) is delivered: enabled, an `http(s)://` URL (Evolution
    /// delivers nothing else), and the event subscribed (or every event).
    func delivers(_ event: String) -> Bool {
        let lowered = url.lowercased()
        guard enabled, lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else { return false }
        return events.isEmpty || events.contains(Self.configName(of: event))
    }

    /// Where `event` goes: the URL, plus `/<kebab-event>` with `byEvents`.
    func destination(for event: String) -> String {
        guard byEvents else { return url }
        return url + "/" + String(event.map { $0 == "." || $0 == "_" ? "-" : $0 }).lowercased()
    }

    /// `connection.update` → `CONNECTION_UPDATE` (Evolution: `replace(/[.-]/g,'_').toUpperCase()`).
    static func configName(of event: String) -> String {
        String(event.map { $0 == "." || $0 == "-" ? "_" : $0 }).uppercased()
    }

    /// The `webhook/set` and `webhook/find` row.
    func row(instanceID: String) -> JSONValue {
        [
            "id": .string(id), "url": .string(url), "headers": headers, "enabled": .bool(enabled),
            "events": .array(events.map(JSONValue.string)), "webhookByEvents": .bool(byEvents),
            "webhookBase64": .bool(base64), "createdAt": .string(createdAt.description),
            "updatedAt": .string(updatedAt.description), "instanceId": .string(instanceID),
        ]
    }
}
