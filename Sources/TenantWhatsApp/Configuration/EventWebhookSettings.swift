import Runtime
import Secrets

/// `EVENTS_WEBHOOK_URL`, `EVENTS_WEBHOOK_SECRET`, `EVENTS_RETRY_SCHEDULE` and `EVENTS_CONCURRENCY`: where the SaaS
/// backend receives the tenants' connection events (docs/event-webhooks.md), signed per Standard Webhooks.
///
/// The secret never appears in `description`, logs or errors.
public struct EventWebhookSettings: Sendable, CustomStringConvertible {
    /// The one endpoint events are POSTed to (`http://` or `https://`).
    public let url: String
    /// Signs each attempt (`EVENTS_WEBHOOK_SECRET`: `whsec_` + base64 of at least 24 bytes).
    let signer: StandardWebhookSigner
    /// The delay before each attempt, the first one included; an event whose last attempt failed is dead.
    public var retrySchedule: [Duration] = Self.defaultRetrySchedule
    /// Deliveries in flight at once in this process, across tenants.
    public var concurrency = 4
    /// `EVENTS_WEBHOOK_QRCODE=image`: a `whatsapp.qrcode` event carries the QR code's image (`data.qrcode`, a PNG
    /// data URL); `none` (the default) sends only that one was handed out.
    public var sendsQRCodeImage = false

    /// Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27.6 hours, as the Standard
    /// Webhooks specification suggests.
    public static let defaultRetrySchedule: [Duration] = [
        .zero, .seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18_000), .seconds(36_000),
        .seconds(36_000),
    ]

    /// The settings from the environment; nil when `EVENTS_WEBHOOK_URL` is unset or empty.
    static func load(from environment: [String: String]) throws(ConfigurationError) -> EventWebhookSettings? {
        let url = environment["EVENTS_WEBHOOK_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment["EVENTS_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        guard let url else {
            if secret != nil {
                throw ConfigurationError(
                    variable: "EVENTS_WEBHOOK_URL", problem: "is not set, but EVENTS_WEBHOOK_SECRET is: set both")
            }
            return nil
        }
        guard let secret else {
            throw ConfigurationError(
                variable: "EVENTS_WEBHOOK_SECRET", problem: "is not set, but EVENTS_WEBHOOK_URL is: set both")
        }
        var settings = try EventWebhookSettings(url: url, secret: secret)
        if let text = environment["EVENTS_RETRY_SCHEDULE"], !text.isEmpty {
            settings.retrySchedule = try retrySchedule(from: text)
        }
        if let text = environment["EVENTS_CONCURRENCY"], !text.isEmpty {
            guard text.utf8.count <= 3, let number = Int(text), (1...64).contains(number) else {
                throw ConfigurationError(variable: "EVENTS_CONCURRENCY", problem: "must be a whole number from 1 to 64")
            }
            settings.concurrency = number
        }
        switch environment["EVENTS_WEBHOOK_QRCODE"] ?? "" {
        case "", "none": settings.sendsQRCodeImage = false
        case "image": settings.sendsQRCodeImage = true
        default: throw ConfigurationError(variable: "EVENTS_WEBHOOK_QRCODE", problem: "must be none or image")
        }
        return settings
    }

    /// Settings for `url` and `secret`, validated.
    public init(url: String, secret: String) throws(ConfigurationError) {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.utf8.count <= 2048,
            url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !url.contains("#")
        else {
            throw ConfigurationError(
                variable: "EVENTS_WEBHOOK_URL", problem: "must be an http:// or https:// URL without spaces")
        }
        guard let signer = StandardWebhookSigner(secret: secret) else {
            throw ConfigurationError(
                variable: "EVENTS_WEBHOOK_SECRET",
                problem: "must be whsec_ followed by the base64 of 24 to 64 random bytes")
        }
        self.url = url
        self.signer = signer
    }

    /// `EVENTS_RETRY_SCHEDULE`: comma-separated delays (`0s,5s,5m,30m,2h,5h,10h,10h`), one per attempt, 1 to 50 of
    /// them, each a whole number with `s`, `m`, `h` or `d`, at most 7 days.
    static func retrySchedule(from text: String) throws(ConfigurationError) -> [Duration] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingSpaces()) }
        let delays = parts.compactMap(ReconcileOptions.duration)
        guard delays.count == parts.count, (1...50).contains(delays.count),
            delays.allSatisfy({ $0 <= .seconds(7 * 86_400) })
        else {
            throw ConfigurationError(
                variable: "EVENTS_RETRY_SCHEDULE",
                problem: "must be 1 to 50 comma-separated delays such as 0s,5s,5m,30m,2h (each at most 7d)")
        }
        return delays
    }

    /// Without the URL, which may carry credentials of its own.
    public var description: String {
        "EventWebhookSettings(attempts: \(retrySchedule.count), concurrency: \(concurrency))"
    }
}
