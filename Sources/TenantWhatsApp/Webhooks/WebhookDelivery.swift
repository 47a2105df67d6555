import JSON

/// One delivery of Evolution's webhook: `{"event","instance","data","date_time",…}` (docs/webhooks.md).
struct WebhookDelivery: Sendable {
    /// The dotted event name, e.g. `connection.update`.
    let event: String
    /// The instance the event is about.
    let instanceName: String
    /// The event's `data` (`null` for logout and remove).
    let data: JSONValue
    /// Evolution's `date_time` as sent, when it is a string.
    let dateTimeText: String?

    /// The delivery in `body`; nil when the body is not such an envelope.
    init?(body: [UInt8]) {
        guard let json = try? JSONParser().parse(body), case .object = json,
            let event = json["event"]?.stringValue, let instanceName = json["instance"]?.stringValue
        else { return nil }
        self.event = event
        self.instanceName = instanceName
        self.data = json["data"] ?? .null
        self.dateTimeText = json["date_time"]?.stringValue
    }

    /// Evolution's `date_time`, read strictly: ``WebhookTimeProblem/missing`` without one, ``WebhookTimeProblem/notAnInstant``
    /// when it is no real date and time.
    func dateTime() throws(WebhookTimeProblem) -> EvolutionDateTime {
        guard let dateTimeText else { throw .missing }
        return try EvolutionDateTime(parsing: dateTimeText)
    }

    /// The tenant whose instance this is, when the name is `tenant_{id}` with a valid id.
    var tenant: TenantID? {
        guard instanceName.hasPrefix("tenant_") else { return nil }
        guard let tenant = TenantID(String(instanceName.dropFirst("tenant_".count))) else { return nil }
        return tenant.instanceName == instanceName ? tenant : nil
    }
}
