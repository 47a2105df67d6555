import TestTokenMinting

/// Bearer tokens for the integration tests: ``TokenMinter`` with this target's defaults (the test responders' secret,
/// issuer and audience), so a test can send exactly the hostile token it means.
enum TestTokens {
    /// The HS256 secret every test responder gets unless a test configures its own key (see ``TestResponder``).
    static let secret = "integration-test-secret-0123456789abcdef"
    /// The issuer and audience the JWT suites configure.
    static let issuer = "https://auth.tenant-whatsapp.test"
    static let audience = "tenant-whatsapp"

    /// Now, in seconds since the epoch (the responder reads the same clock).
    static var now: Int { TokenMinter.now }

    /// Claims accepted by a responder configured with ``issuer`` and ``audience``, for `tenantID`, with `extra`
    /// members appended (raw JSON, e.g. `"nbf":1`) and `iat` or `exp` replaced when given (raw JSON).
    static func claims(tenantID: String = "t1", iat: String? = nil, exp: String? = nil, _ extra: String = "") -> String
    {
        let members = [
            #""sub":"user-1""#, #""tenantId":"\#(tenantID)""#, #""iss":"\#(issuer)""#, #""aud":"\#(audience)""#,
            #""iat":\#(iat ?? String(now - 5))"#, #""exp":\#(exp ?? String(now + 600))"#,
        ]
        return "{" + (members + (extra.isEmpty ? [] : [extra])).joined(separator: ",") + "}"
    }

    /// A token from a header and payload written as JSON text, kept byte for byte.
    static func token(
        header: String = TokenMinter.hs256Header, payload: String = claims(), secret: String = secret,
        digest: TokenMinter.Digest = .sha256
    ) -> String {
        TokenMinter.token(header: header, payload: payload, secret: Array(secret.utf8), digest: digest)
    }

    /// A token whose segments are given already encoded (possibly non-canonically), MAC'd over exactly that text.
    static func token(
        encodedHeader: String, encodedPayload: String, secret: [UInt8] = Array(secret.utf8),
        digest: TokenMinter.Digest = .sha256
    ) -> String {
        TokenMinter.token(encodedHeader: encodedHeader, encodedPayload: encodedPayload, secret: secret, digest: digest)
    }

    /// The base64url text of `bytes`, without padding.
    static func encode(_ bytes: [UInt8]) -> String { TokenMinter.encode(bytes) }

    /// The base64url text of the UTF-8 of `text`.
    static func encode(_ text: String) -> String { TokenMinter.encode(text) }
}
