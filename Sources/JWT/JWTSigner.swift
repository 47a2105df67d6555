import JSON
import Secrets

/// Mints compact HS256 JWTs (RFC 7519, RFC 7515 §7.1, RFC 7518 §3.2): the counterpart of ``JWTVerifier`` for tokens
/// this project issues itself, such as the `Authorization` of the Evolution simulator's webhooks.
public enum JWTSigner {
    /// The protected header, in the order jsonwebtoken writes it.
    static let hs256Header: JSONValue = ["alg": "HS256", "typ": "JWT"]

    /// `base64url(header).base64url(claims).base64url(HMAC-SHA-256(secret, header.claims))`, header
    /// `{"alg":"HS256","typ":"JWT"}`, the claims serialised compactly in their own order.
    ///
    /// Any non-empty secret signs, as jsonwebtoken's `sign` does; ``JWTVerificationKey`` only verifies with secrets
    /// of at least ``JWTVerificationKey/minimumSecretLength`` bytes. The claims are not checked beyond being an
    /// object: registered claims such as `exp` are the caller's to set.
    public static func hs256(claims: JSONValue, secret: [UInt8]) throws(JWTSigningError) -> String {
        guard claims.objectMembers != nil else { throw JWTSigningError(.claimsNotAnObject) }
        let signingInput = Base64URL.encode(hs256Header.serialized()) + "." + Base64URL.encode(claims.serialized())
        let mac = try hmacSHA256(Array(signingInput.utf8), secret: secret)
        return signingInput + "." + Base64URL.encode(mac)
    }

    /// HMAC-SHA-256 (``Secrets/HMACSHA256``), refusing what jsonwebtoken refuses and what OpenSSL cannot take.
    private static func hmacSHA256(_ data: [UInt8], secret: [UInt8]) throws(JWTSigningError) -> [UInt8] {
        guard !secret.isEmpty else { throw JWTSigningError(.emptySecret) }
        guard secret.count <= Int(Int32.max) else { throw JWTSigningError(.secretTooLong) }
        do {
            return try HMACSHA256.mac(data, key: secret)
        } catch {
            throw JWTSigningError(.openSSLFailure)
        }
    }
}
