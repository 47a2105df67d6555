import JSON

/// The webhook every instance of ours carries: our route, Evolution's `jwt_key` signing, the four events we use.
///
/// `byEvents: false` (one URL for all events) and `base64: true` (the QR code as a data URL in the event).
struct EvolutionWebhook: Sendable, Equatable {
    /// Where Evolution delivers.
    let url: String
    /// The `jwt_key` header: Evolution 2.3 removes it and signs an HS256 bearer token with it instead.
    let jwtKey: String
    /// Upper-case event names.
    let events: [String]

    /// The `webhook` object of create and of `webhook/set`.
    var json: JSONValue {
        [
            "enabled": true, "url": .string(url), "byEvents": false, "base64": true,
            "headers": ["jwt_key": .string(jwtKey)], "events": .array(events.map(JSONValue.string)),
        ]
    }

    /// Whether a `webhook/find` row is this webhook (same URL, key, events and options); a row shape Evolution does
    /// not answer is never equal, so the webhook is set again.
    func matches(row: JSONValue) -> Bool {
        guard row["enabled"]?.boolValue == true, row["url"]?.stringValue == url,
            row["webhookByEvents"]?.boolValue == false, row["webhookBase64"]?.boolValue == true,
            row["headers"]?["jwt_key"]?.stringValue == jwtKey,
            let stored = row["events"]?.arrayValue?.compactMap(\.stringValue)
        else { return false }
        return Set(stored) == Set(events)
    }
}
