import JSON

/// One delivery of Evolution's webhook: `{"event","instance","data","date_time",…}` (evolution-api.md §6).
struct WebhookDelivery: Sendable {
    /// The dotted event name, e.g. `connection.update`.
    let event: String
    /// The instance the event is about.
    let instanceName: String
    /// The event's `data` (`null` for logout and remove).
    let data: JSONValue
    /// Evolution's `date_time` when it has the ISO 8601 UTC shape PostgreSQL reads, else nil (then the event is
    /// applied without ordering).
    let eventTime: String?

    /// The delivery in `body`; nil when the body is not such an envelope.
    init?(body: [UInt8]) {
        guard case .object = try? JSONParser().parse(body), let json = try? JSONParser().parse(body),
            let event = json["event"]?.stringValue, let instanceName = json["instance"]?.stringValue
        else { return nil }
        self.event = event
        self.instanceName = instanceName
        self.data = json["data"] ?? .null
        self.eventTime = json["date_time"]?.stringValue.flatMap(Self.validTime)
    }

    /// The tenant whose instance this is, when the name is `tenant_{id}` with a valid id.
    var tenant: TenantID? {
        guard instanceName.hasPrefix("tenant_") else { return nil }
        guard let tenant = TenantID(String(instanceName.dropFirst("tenant_".count))) else { return nil }
        return tenant.instanceName == instanceName ? tenant : nil
    }

    /// `2025-10-21T11:40:39.123Z` (fractional seconds optional, 1 to 6 digits), or nil.
    static func validTime(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        let shape = Array("0000-00-00T00:00:00".utf8)
        guard bytes.count >= shape.count + 1, bytes.last == UInt8(ascii: "Z") else { return nil }
        for (byte, expected) in zip(bytes, shape) {
            let isDigit = byte >= 0x30 && byte <= 0x39
            guard expected == UInt8(ascii: "0") ? isDigit : byte == expected else { return nil }
        }
        let fraction = bytes[shape.count..<(bytes.count - 1)]
        if fraction.isEmpty { return text }
        guard fraction.first == UInt8(ascii: "."), (2...7).contains(fraction.count),
            fraction.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return nil }
        return text
    }
}
