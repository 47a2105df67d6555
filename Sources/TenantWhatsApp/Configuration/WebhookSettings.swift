import JWT
import Runtime

/// `EVOLUTION_WEBHOOK_URL` and `EVOLUTION_WEBHOOK_SECRET`: where Evolution pushes each instance's events, and the
/// secret its `jwt_key` tokens are signed with. Both set: webhooks on; neither: polling only; one alone is refused.
///
/// The secret never appears in `description`, logs or errors.
public struct WebhookSettings: Sendable, CustomStringConvertible {
    /// Our webhook route as Evolution reaches it, e.g. `https://api.example.com/api/evolution/webhook`.
    public let url: String
    /// The HS256 key of Evolution's webhook tokens (at least 32 bytes).
    let secret: String
    /// Verifies the bearer token of each delivery with `secret` (HS256 only, the usual leeway).
    let verifier: JWTVerifier

    /// The events each instance pushes to us.
    static let events = ["QRCODE_UPDATED", "CONNECTION_UPDATE", "LOGOUT_INSTANCE", "REMOVE_INSTANCE"]

    /// The settings from the two variables; nil when neither is set.
    static func load(from environment: [String: String]) throws(ConfigurationError) -> WebhookSettings? {
        let url = environment["EVOLUTION_WEBHOOK_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment["EVOLUTION_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        switch (url, secret) {
        case (nil, nil):
            return nil
        case (nil, _):
            throw ConfigurationError(
                variable: "EVOLUTION_WEBHOOK_URL", problem: "is not set, but EVOLUTION_WEBHOOK_SECRET is: set both")
        case (_, nil):
            throw ConfigurationError(
                variable: "EVOLUTION_WEBHOOK_SECRET", problem: "is not set, but EVOLUTION_WEBHOOK_URL is: set both")
        case (let url?, let secret?):
            return try WebhookSettings(url: url, secret: secret)
        }
    }

    /// Settings for `url` and `secret`, validated.
    init(url: String, secret: String) throws(ConfigurationError) {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"),
            url.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }), !url.contains("#")
        else {
            throw ConfigurationError(
                variable: "EVOLUTION_WEBHOOK_URL",
                problem: "must be an http:// or https:// URL without spaces (Evolution delivers nothing else)")
        }
        guard secret.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw ConfigurationError(
                variable: "EVOLUTION_WEBHOOK_SECRET", problem: "must not contain spaces or control characters")
        }
        let key: JWTVerificationKey
        do {
            key = try JWTVerificationKey(hmacSecret: Array(secret.utf8))
        } catch {
            throw ConfigurationError(
                variable: "EVOLUTION_WEBHOOK_SECRET",
                problem: "must be at least \(JWTVerificationKey.minimumSecretLength) bytes")
        }
        self.url = url
        self.secret = secret
        self.verifier = JWTVerifier(key: key)
    }

    /// The URL with the secret redacted.
    public var description: String { "WebhookSettings(url: \(url), secret: <redacted>)" }
}
