import HTTPServer
import JSON

extension SimulatorState {
    /// `POST /webhook/set/{name}` with `{"webhook":{"enabled","url","headers","byEvents","base64","events"}}` →
    /// 201 with the stored row. A flat (v1/v2.0) body is a nested schema error; `enabled:true` without `events`
    /// is the 500 TypeError of 2.3.x.
    mutating func setWebhook(_ call: EvolutionCall, instance: SimulatedInstance) -> HTTPResponse {
        guard let webhook = call.body["webhook"] else {
            return EvolutionEnvelope.schemaError([#"instance requires property "webhook""#])
        }
        guard webhook.objectMembers != nil else {
            return EvolutionEnvelope.schemaError(["webhook is not of a type(s) object"])
        }
        var errors: [String] = []
        for field in ["enabled", "url"] where webhook[field] == nil {
            errors.append("webhook requires property \"\(field)\"")
        }
        if let enabled = webhook["enabled"], enabled.boolValue == nil {
            errors.append("webhook.enabled is not of a type(s) boolean")
        }
        if let url = webhook["url"], url.stringValue == nil { errors.append("webhook.url is not of a type(s) string") }
        if let events = webhook["events"] {
            if let list = events.arrayValue {
                for (index, event) in list.enumerated()
                where !(event.stringValue.map(WebhookConfiguration.knownEvents.contains) ?? false) {
                    errors.append(
                        "webhook.events[\(index)] is not one of enum values: "
                            + WebhookConfiguration.knownEvents.joined(separator: ","))
                }
            } else {
                errors.append("webhook.events is not of a type(s) array")
            }
        }
        guard errors.isEmpty else { return EvolutionEnvelope.schemaError(errors) }
        let enabled = webhook["enabled"]?.boolValue ?? false
        if enabled, webhook["events"] == nil {
            return EvolutionEnvelope.error(
                .internalServerError, message: "Cannot read properties of undefined (reading 'length')")
        }
        var configuration = Self.webhookConfiguration(from: webhook, enabled: enabled)
        if let existing = instance.webhook {
            configuration.id = existing.id
            configuration.createdAt = existing.createdAt
        }
        instances[instance.name]?.webhook = configuration
        return .json(.created, configuration.row(instanceID: instance.id))
    }
}
