import JSON
import JWT

extension WebhookConfiguration {
    /// How long Evolution's webhook JWT is valid: `exp` is `iat` + 600 s.
    static let webhookTokenLifetimeSeconds = 600

    /// The headers of one delivery, as Evolution 2.3 builds them (`webhook.controller.ts` `emit`):
    /// `Content-Type: application/json`, then every configured header with a string value, as it is, except:
    /// - `jwt_key` is not sent. Its value is the HMAC key of an HS256 JWT (``webhookClaims(issuedAt:)``), sent
    ///   as `Authorization: Bearer <token>`.
    /// - with a `jwt_key`, a configured `authorization` (any case) gives way to that token: Evolution adds
    ///   `Authorization` after the configured headers, and axios keeps the last value set for a header name.
    /// - a configured `Content-Type` is not sent twice.
    ///
    /// Throws when the `jwt_key` cannot sign (empty, or not a string: jsonwebtoken refuses both), and Evolution
    /// then sends nothing.
    func deliveryHeaders(issuedAt seconds: Int) throws(JWTSigningError) -> [(name: String, value: String)] {
        let members = headers.objectMembers ?? []
        let jwtKey = members.first { $0.0 == "jwt_key" }?.1
        var result: [(name: String, value: String)] = [("Content-Type", "application/json")]
        for (name, value) in members {
            let lowered = name.lowercased()
            guard let text = value.stringValue, name != "jwt_key", lowered != "content-type" else { continue }
            if jwtKey != nil, lowered == "authorization" { continue }
            result.append((name, text))
        }
        if let jwtKey {
            // A non-string key has no bytes to sign with; the empty secret makes the signer refuse it.
            let secret = Array((jwtKey.stringValue ?? "").utf8)
            let token = try JWTSigner.hs256(claims: Self.webhookClaims(issuedAt: seconds), secret: secret)
            result.append(("Authorization", "Bearer " + token))
        }
        return result
    }

    /// Evolution's webhook claims (`generateJwtToken`), in its order:
    /// `{"iat":<seconds>,"exp":<iat + 600>,"app":"evolution","action":"webhook"}`.
    static func webhookClaims(issuedAt seconds: Int) -> JSONValue {
        [
            "iat": .integer(seconds), "exp": .integer(seconds + webhookTokenLifetimeSeconds), "app": "evolution",
            "action": "webhook",
        ]
    }
}
