import Foundation
import TestTokenMinting

/// Standard Webhooks signatures made in the test, independent of the product and of the receiver's library:
/// `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), the key being the base64-decoded part of the
/// `whsec_` secret (OpenSSL's `HMAC()` through ``TokenMinter/mac(_:secret:digest:)``).
enum StandardWebhookSignature {
    /// The `webhook-signature` value for `body` sent as message `id` at `timestamp` (Unix seconds).
    static func sign(id: String, timestamp: Int, body: String, secret: String) throws -> String {
        let encodedKey = secret.hasPrefix("whsec_") ? String(secret.dropFirst("whsec_".count)) : secret
        guard let key = Data(base64Encoded: encodedKey) else {
            throw TestFailure("the webhook secret is not whsec_<base64>")
        }
        let mac = TokenMinter.mac(Array("\(id).\(timestamp).\(body)".utf8), secret: Array(key), digest: .sha256)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three headers of a delivery of `body` as message `id` at `timestamp` (default: now).
    static func headers(
        id: String, timestamp: Int = Int(Date().timeIntervalSince1970), body: String, secret: String
    ) throws -> [String: String] {
        [
            "webhook-id": id, "webhook-timestamp": String(timestamp),
            "webhook-signature": try sign(id: id, timestamp: timestamp, body: body, secret: secret),
        ]
    }
}
