import JWT

/// A verifier and well-formed claims shared by the rule tests.
enum Fixtures {
    /// The pinned "now" of the rule tests: 2023-11-14T22:13:20Z.
    static let now = 1_700_000_000

    /// An HS256 verifier for ``TokenFactory/secret`` at ``now``, with `options`.
    static func verifier(options: JWTValidationOptions = JWTValidationOptions()) -> JWTVerifier {
        JWTVerifier(
            key: try! JWTVerificationKey(hmacSecret: TokenFactory.secret), options: options, clock: .fixed(at: now))
    }

    /// Claims valid at ``now``, plus `extra` members (raw JSON, without braces, e.g. `"aud":"x"`).
    static func claims(exp: String = "\(now + 600)", _ extra: String = "") -> String {
        #"{"sub":"user-1","tenantId":"t1","iat":\#(now - 10),"exp":\#(exp)"# + (extra.isEmpty ? "" : ",\(extra)") + "}"
    }

    /// A valid HS256 token whose header is `header` (raw JSON).
    static func token(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String = claims()) -> String {
        TokenFactory.token(header: header, payload: payload)
    }
}
