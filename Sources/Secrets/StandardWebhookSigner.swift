/// Signs webhook deliveries the way the Standard Webhooks specification says (https://www.standardwebhooks.com):
/// `webhook-signature: v1,<base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, the key being the base64 text
/// after `whsec_` in the secret.
///
/// The key never appears in `description`, logs or errors.
public struct StandardWebhookSigner: Sendable, CustomStringConvertible {
    /// The fewest key bytes accepted (the specification asks for 24 to 64).
    public static let minimumKeyBytes = 24
    /// The most key bytes accepted.
    public static let maximumKeyBytes = 64

    private let key: [UInt8]

    /// A signer for `secret` (`whsec_` + standard base64 of 24 to 64 bytes); nil for anything else.
    public init?(secret: String) {
        let prefix = "whsec_"
        guard secret.hasPrefix(prefix),
            let key = Base64.decode(ArraySlice(secret.utf8.dropFirst(prefix.utf8.count)), paddingRequired: false),
            (Self.minimumKeyBytes...Self.maximumKeyBytes).contains(key.count)
        else { return nil }
        self.key = key
    }

    /// The `webhook-signature` header value of a delivery: `v1,` and the base64 signature.
    public func signature(id: String, timestamp: Int, body: [UInt8]) throws(SecretsError) -> String {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed += body
        return "v1," + Base64.encode(try HMACSHA256.mac(signed, key: key))
    }

    /// The key's length only.
    public var description: String { "StandardWebhookSigner(key: <\(key.count) bytes>)" }
}
