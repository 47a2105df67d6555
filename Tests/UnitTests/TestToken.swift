import TestTokenMinting

/// HS256 tokens for the request-level tests: ``TokenMinter`` with this target's secret and claims.
enum TestToken {
    static let secret = ConfigurationTests.secret
    /// The tests' now, fixed when first read, so that claims built from it agree with each other.
    static let now = TokenMinter.now

    /// A token for `tenantId` (or with the given claims as raw JSON), valid for ten minutes.
    static func make(tenantID: String = "t1", claims: String? = nil, secret: String = secret) -> String {
        let payload = claims ?? #"{"sub":"u1","tenantId":"\#(tenantID)","exp":\#(now + 600)}"#
        return TokenMinter.token(payload: payload, secret: Array(secret.utf8))
    }
}
